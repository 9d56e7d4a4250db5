using System.Collections.Immutable;
using System.CommandLine;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Cli.Output;
using Meshwork.Runtime;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>`create`: a namespace, a generic or TLS secret, or the objects of manifests (-f).</summary>
public static partial class ResourceCommands
{
    private static Command CreateCommand()
    {
        var command = new Command("create", "Create objects: namespace, secret generic, or the objects of manifests (-f)");
        var files = FilenameOption("create");
        var ns = GlobalOptions.Namespace;
        command.Options.Add(files);
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var paths = parse.GetValue(files) ?? [];
            if (paths.Length == 0) throw new CliUsageException("must specify -f, or one of: namespace, secret generic");
            var explicitNamespace = parse.GetValue(ns);
            var read = ResourceCli.ReadManifests(paths, explicitNamespace ?? "default");
            if (cli.ReportDiagnostics(read)) return 1;
            CheckNamespaces(read.Resources, explicitNamespace);
            using var client = cli.Connect();
            var failed = 0;
            foreach (var resource in read.Resources)
            {
                try
                {
                    var created = await client.CreateAsync(resource, ct).ConfigureAwait(false);
                    await cli.Out.WriteLineAsync($"{ResourceCli.KindRef(created)}/{created.Metadata.Name} created").ConfigureAwait(false);
                }
                catch (MeshApiException e)
                {
                    cli.Report(e);
                    failed++;
                }
            }
            return failed == 0 ? 0 : 1;
        }));

        var nsName = new Argument<string>("name");
        var createNamespace = new Command("namespace", "Create a namespace") { nsName };
        createNamespace.Aliases.Add("ns");
        createNamespace.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            using var client = cli.Connect();
            var created = await client.CreateAsync(new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = parse.GetValue(nsName)! } }, ct).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"namespace/{created.Metadata.Name} created").ConfigureAwait(false);
            return 0;
        }));
        command.Subcommands.Add(createNamespace);

        var secret = new Command("secret", "Create a secret");
        var secretName = new Argument<string>("name");
        var fromFile = new Option<string[]>("--from-file") { Description = "[key=]path of a file (or a directory: each file) to store", AllowMultipleArgumentsPerToken = false };
        var fromLiteral = new Option<string[]>("--from-literal") { Description = "key=value to store", AllowMultipleArgumentsPerToken = false };
        var secretNamespace = GlobalOptions.Namespace;
        var generic = new Command("generic", "Create a secret from files and literal values") { secretName, fromFile, fromLiteral };
        generic.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var data = ImmutableSortedDictionary.CreateBuilder<string, ImmutableArray<byte>>(StringComparer.Ordinal);
            foreach (var spec in parse.GetValue(fromFile) ?? [])
            {
                var eq = spec.IndexOf('=');
                var (key, path) = eq > 0 ? (spec[..eq], spec[(eq + 1)..]) : ((string?)null, spec);
                if (Directory.Exists(path) && key is null)
                {
                    foreach (var file in Directory.EnumerateFiles(path).Order(StringComparer.Ordinal)) data[Path.GetFileName(file)] = [.. File.ReadAllBytes(file)];
                }
                else if (File.Exists(path))
                {
                    data[key ?? Path.GetFileName(path)] = [.. File.ReadAllBytes(path)];
                }
                else
                {
                    throw new CliUsageException($"error reading {path}: no such file or directory");
                }
            }
            foreach (var literal in parse.GetValue(fromLiteral) ?? [])
            {
                var eq = literal.IndexOf('=');
                if (eq <= 0) throw new CliUsageException($"--from-literal \"{literal}\" is not key=value");
                data[literal[..eq]] = [.. System.Text.Encoding.UTF8.GetBytes(literal[(eq + 1)..])];
            }
            var resource = new Secret
            {
                ApiVersion = "v1",
                Metadata = new ObjectMeta { Name = parse.GetValue(secretName)!, Namespace = parse.GetValue(secretNamespace) ?? "default" },
                Data = data.ToImmutable(),
            };
            using var client = cli.Connect();
            var created = await client.CreateAsync(resource, ct).ConfigureAwait(false);
            await cli.Out.WriteLineAsync($"secret/{created.Metadata.Name} created").ConfigureAwait(false);
            return 0;
        }));
        secret.Subcommands.Add(generic);
        secret.Subcommands.Add(CreateTlsSecret.Command());
        command.Subcommands.Add(secret);
        return command;
    }
}
