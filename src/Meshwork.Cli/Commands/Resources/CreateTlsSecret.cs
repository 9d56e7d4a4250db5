using System.Collections.Immutable;
using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Model.Resources;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>
/// `meshwork create secret tls NAME --cert=PATH --key=PATH [-n NS]`, as kubectl makes it: a <c>kubernetes.io/tls</c>
/// Secret with <c>tls.crt</c> and <c>tls.key</c>, which a Gateway's HTTPS server names by credentialName. As kubectl
/// does, the pair is checked first, so a key that does not match its certificate is refused here, not at the gateway.
/// </summary>
internal static class CreateTlsSecret
{
    public const string Type = "kubernetes.io/tls";

    public static Command Command()
    {
        var name = new Argument<string>("name");
        var cert = new Option<string>("--cert") { Description = "Path to the PEM certificate (chain)", Required = true };
        var key = new Option<string>("--key") { Description = "Path to the PEM private key of the certificate", Required = true };
        var ns = GlobalOptions.Namespace;
        var command = new Command("tls", "Create a TLS secret from a certificate and its key") { name, cert, key };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var certPem = Read(parse.GetValue(cert)!);
            var keyPem = Read(parse.GetValue(key)!);
            try { using var pair = X509Certificate2.CreateFromPem(certPem, keyPem); }
            catch (Exception e) when (e is CryptographicException or ArgumentException) { throw new CliUsageException($"failed to load key pair: {e.Message}"); }
            var resource = new Secret
            {
                ApiVersion = "v1",
                Metadata = new ObjectMeta { Name = parse.GetValue(name)!, Namespace = parse.GetValue(ns) ?? "default" },
                Type = Type,
                Data = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new Dictionary<string, ImmutableArray<byte>>
                {
                    ["tls.crt"] = [.. System.Text.Encoding.ASCII.GetBytes(certPem)],
                    ["tls.key"] = [.. System.Text.Encoding.ASCII.GetBytes(keyPem)],
                }),
            };
            using var client = cli.Connect();
            var created = await client.CreateAsync(resource, ct).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"secret/{created.Metadata.Name} created").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static string Read(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new CliUsageException($"error reading {path}: no such file or directory");
}
