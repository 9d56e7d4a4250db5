using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.Identity;

namespace Meshwork.Cli.Commands.Ca;

/// <summary>
/// `meshwork ca create-root` and `meshwork ca create-intermediate`: the files of Istio's plug-in CA
/// task (tools/certs: make root-ca, make cluster1-cacerts), so that
/// <c>create secret generic cacerts -n istio-system --from-file=ca-cert.pem --from-file=ca-key.pem
/// --from-file=root-cert.pem --from-file=cert-chain.pem</c> reads them. Keys are written 0600 and an
/// existing key is never overwritten without --force.
/// </summary>
public static class CaCommands
{
    public static IEnumerable<Command> Create()
    {
        var command = new Command("ca", "Make CA certificates for a plugged-in mesh CA (Istio's cacerts files)") { CreateRoot(), CreateIntermediate() };
        return [command];
    }

    private static Command CreateRoot()
    {
        var dir = new Option<string>("--dir") { Description = "Folder to write root-cert.pem and root-key.pem to", DefaultValueFactory = _ => "." };
        var org = new Option<string>("--org") { Description = "Organization (O=) of the root", DefaultValueFactory = _ => "Istio" };
        var cn = new Option<string>("--cn") { Description = "Common name (CN=) of the root", DefaultValueFactory = _ => "Root CA" };
        var days = new Option<int>("--days") { Description = "Validity in days", DefaultValueFactory = _ => 3650 };
        var force = new Option<bool>("--force") { Description = "Overwrite existing files" };
        var command = new Command("create-root", "Create a self-signed root CA (root-cert.pem, root-key.pem)") { dir, org, cn, days, force };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var folder = parse.GetValue(dir)!;
            string[] files = [Path.Combine(folder, "root-cert.pem"), Path.Combine(folder, "root-key.pem")];
            if (Refuse(files, parse.GetValue(force), stderr) || BadDays(parse.GetValue(days), stderr)) return 1;
            var subject = Subject(parse.GetValue(org)!, parse.GetValue(cn)!, location: null);
            using var root = CaCertificateMaker.CreateRoot(subject, KeyAlgorithm.EcdsaP256, DateTimeOffset.UtcNow, TimeSpan.FromDays(parse.GetValue(days)));
            Directory.CreateDirectory(folder);
            WriteKey(files[1], root);
            AtomicFile.WriteAllText(files[0], Pem.Write([root]), AtomicFile.Public);
            stdout.WriteLine($"root CA \"{root.Subject}\" written to {files[0]} and {files[1]}");
            return 0;
        });
        return command;
    }

    private static Command CreateIntermediate()
    {
        var rootDir = new Option<string>("--root-dir") { Description = "Folder holding root-cert.pem and root-key.pem", DefaultValueFactory = _ => "." };
        var dir = new Option<string>("--dir") { Description = "Folder to write ca-cert.pem, ca-key.pem, cert-chain.pem and root-cert.pem to", DefaultValueFactory = _ => "." };
        var org = new Option<string>("--org") { Description = "Organization (O=)", DefaultValueFactory = _ => "Istio" };
        var cn = new Option<string>("--cn") { Description = "Common name (CN=)", DefaultValueFactory = _ => "Intermediate CA" };
        var location = new Option<string>("--location") { Description = "Locality (L=), Istio's cluster name", DefaultValueFactory = _ => "cluster1" };
        var days = new Option<int>("--days") { Description = "Validity in days (never beyond the root's)", DefaultValueFactory = _ => 730 };
        var force = new Option<bool>("--force") { Description = "Overwrite existing files" };
        var command = new Command("create-intermediate", "Create an intermediate CA signed by the root: the four cacerts files") { rootDir, dir, org, cn, location, days, force };
        command.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var from = parse.GetValue(rootDir)!;
            var folder = parse.GetValue(dir)!;
            var caCert = Path.Combine(folder, CaFiles.CaCert);
            var caKey = Path.Combine(folder, CaFiles.CaKey);
            var chain = Path.Combine(folder, CaFiles.CertChain);
            var rootOut = Path.Combine(folder, CaFiles.RootCert);
            if (Refuse([caCert, caKey, chain], parse.GetValue(force), stderr) || BadDays(parse.GetValue(days), stderr)) return 1;
            X509Certificate2 root;
            try
            {
                var rootPem = File.ReadAllText(Path.Combine(from, "root-cert.pem"));
                using var key = Pem.ReadPrivateKey(File.ReadAllText(Path.Combine(from, "root-key.pem")));
                root = Pem.WithPrivateKey(X509Certificate2.CreateFromPem(rootPem), key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException or FormatException)
            {
                stderr.WriteLine($"error: cannot read the root CA from {from} (root-cert.pem, root-key.pem; `meshwork ca create-root` makes them): {e.Message}");
                return 1;
            }
            using (root)
            {
                using var intermediate = CaCertificateMaker.CreateIntermediate(root, Subject(parse.GetValue(org)!, parse.GetValue(cn)!, parse.GetValue(location)),
                    KeyAlgorithm.EcdsaP256, DateTimeOffset.UtcNow, TimeSpan.FromDays(parse.GetValue(days)));
                Directory.CreateDirectory(folder);
                WriteKey(caKey, intermediate);
                AtomicFile.WriteAllText(caCert, Pem.Write([intermediate]), AtomicFile.Public);
                // As Istio's Makefile: the chain from the signing certificate up to and including the root.
                AtomicFile.WriteAllText(chain, Pem.Write([intermediate, root]), AtomicFile.Public);
                if (Path.GetFullPath(rootOut) != Path.GetFullPath(Path.Combine(from, "root-cert.pem")))
                {
                    AtomicFile.WriteAllText(rootOut, Pem.Write([root]), AtomicFile.Public);
                }
                stdout.WriteLine($"intermediate CA \"{intermediate.Subject}\" signed by \"{root.Subject}\": wrote {caCert}, {caKey}, {rootOut}, {chain}");
            }
            return 0;
        });
        return command;
    }

    private static X500DistinguishedName Subject(string org, string cn, string? location)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddOrganizationName(org);
        builder.AddCommonName(cn);
        if (location is not null) builder.AddLocalityName(location);
        return builder.Build();
    }

    private static void WriteKey(string path, X509Certificate2 certificate)
    {
        using var key = Pem.GetPrivateKey(certificate);
        AtomicFile.WriteAllText(path, Pem.WritePrivateKey(key), AtomicFile.Private);
    }

    private static bool Refuse(IEnumerable<string> files, bool force, TextWriter stderr)
    {
        if (force || files.FirstOrDefault(File.Exists) is not { } existing) return false;
        stderr.WriteLine($"error: {existing} already exists; pass --force to replace it (a replaced CA key cannot be recovered)");
        return true;
    }

    private static bool BadDays(int days, TextWriter stderr)
    {
        if (days > 0) return false;
        stderr.WriteLine("error: --days must be positive");
        return true;
    }
}
