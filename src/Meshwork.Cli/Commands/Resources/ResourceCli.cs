using System.CommandLine;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>What every resource verb shares: where to write, which control plane to talk to, how to report errors as kubectl does.</summary>
internal sealed class ResourceCli(ParseResult parse)
{
    public TextWriter Out { get; } = parse.InvocationConfiguration.Output;
    public TextWriter Err { get; } = parse.InvocationConfiguration.Error;

    public StateDirectory State => GlobalOptions.ResolveStateDirectory(parse);

    public MeshApiClient Connect() => MeshApiClient.FromStateDirectory(State, parse.GetValue(GlobalOptions.Server));

    /// <summary>Runs a verb, turning API errors into kubectl-style messages and exit code 1.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<ResourceCli, Task<int>> verb)
    {
        var cli = new ResourceCli(parse);
        try
        {
            return await verb(cli).ConfigureAwait(false);
        }
        catch (MeshApiException e)
        {
            cli.Report(e);
            return 1;
        }
        catch (CliUsageException e)
        {
            await cli.Err.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }

    public void Report(MeshApiException e)
    {
        if (e.Reason is "ServiceUnavailable" or "Timeout" || e.StatusCode == 0)
        {
            Err.WriteLine($"error: {e.Message}");
            return;
        }
        Err.WriteLine($"Error from server ({e.Reason}): {e.Message}");
        foreach (var cause in e.Causes.Where(c => !e.Message.Contains(c.Message, StringComparison.Ordinal)))
        {
            Err.WriteLine($"  {cause.Field}: {cause.Message}");
        }
    }

    /// <summary>Prints every diagnostic (file:line:col: level: ...); true when one of them is an error.</summary>
    public bool ReportDiagnostics(ManifestReadResult read)
    {
        foreach (var diagnostic in read.Diagnostics.OrderBy(d => d.Severity == Severity.Error ? 0 : 1))
        {
            Err.WriteLine(diagnostic.ToString());
        }
        return read.HasErrors;
    }

    /// <summary>Reads -f arguments: files, directories (their *.yaml, *.yml, *.json) and "-" for standard input.</summary>
    public static ManifestReadResult ReadManifests(IEnumerable<string> paths, string? defaultNamespace)
    {
        var resources = new List<Resource>();
        var diagnostics = new List<Diagnostic>();
        foreach (var path in paths)
        {
            var result = path == "-"
                ? ManifestReader.Read(Console.In.ReadToEnd(), "<stdin>", defaultNamespace)
                : ManifestReader.ReadPaths([path], defaultNamespace);
            resources.AddRange(result.Resources);
            diagnostics.AddRange(result.Diagnostics);
        }
        return new ManifestReadResult([.. resources], [.. diagnostics]);
    }

    public static KindInfo Kind(string name) =>
        KindRegistry.TryResolve(name, out var info)
            ? info
            : throw new CliUsageException($"the server doesn't have a resource type \"{name}\" (known: {string.Join(", ", KindRegistry.All.Select(k => k.Plural))})");

    /// <summary>kubectl's name for a kind in messages: "service", "deployment.apps", "peerauthentication.security.istio.io".</summary>
    public static string KindRef(KindInfo kind) => kind.ApiGroup.Length == 0 ? kind.Kind.ToLowerInvariant() : $"{kind.Kind.ToLowerInvariant()}.{kind.ApiGroup}";

    public static string KindRef(Resource resource) => KindRegistry.TryGetKind(resource.Kind, out var info) ? KindRef(info) : resource.Kind.ToLowerInvariant();

    /// <summary>"KIND NAME..." or "KIND/NAME..." arguments as (kind, names).</summary>
    public static List<(KindInfo Kind, string? Name)> Targets(IReadOnlyList<string> args)
    {
        var targets = new List<(KindInfo, string?)>();
        if (args.Count == 0) return targets;
        if (args.All(a => a.Contains('/')))
        {
            foreach (var arg in args)
            {
                var slash = arg.IndexOf('/');
                targets.Add((Kind(arg[..slash]), arg[(slash + 1)..]));
            }
            return targets;
        }
        if (args.Skip(1).Any(a => a.Contains('/')))
        {
            throw new CliUsageException("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form");
        }
        foreach (var kindName in args[0].Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var kind = Kind(kindName);
            if (args.Count == 1) targets.Add((kind, null));
            else foreach (var name in args.Skip(1)) targets.Add((kind, name));
        }
        return targets;
    }
}

/// <summary>A mistake in how a command was called; printed as "error: ..." with exit code 1.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
