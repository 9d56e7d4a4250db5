using System.Collections.Immutable;
using System.CommandLine;
using System.Text.RegularExpressions;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Model.Mesh;
using Meshwork.Runtime;
using Meshwork.Policy;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>`apply -f`: every document in one transaction, errors reported at the file and line they came from.</summary>
public static partial class ResourceCommands
{
    private static Command Apply()
    {
        var files = FilenameOption("apply");
        var ns = GlobalOptions.Namespace;
        var command = new Command("apply", "Create or update the objects of manifests, all in one transaction") { files };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var paths = parse.GetValue(files) ?? [];
            if (paths.Length == 0) throw new CliUsageException("must specify one of -f and -k");
            var explicitNamespace = parse.GetValue(ns);
            var read = ResourceCli.ReadManifests(paths, explicitNamespace ?? "default");
            if (cli.ReportDiagnostics(read)) return 1;
            if (read.Resources.IsEmpty) throw new CliUsageException("no objects passed to apply");
            CheckNamespaces(read.Resources, explicitNamespace);
            using var client = cli.Connect();
            ImmutableArray<AppliedObject> applied;
            try
            {
                applied = await client.ApplyWithOutcomesAsync(read.Resources, explicitNamespace, ct).ConfigureAwait(false);
            }
            catch (MeshApiException e) when (ReportAtSource(cli, e, read.Resources))
            {
                return 1;
            }
            foreach (var item in applied)
            {
                await cli.Out.WriteLineAsync($"{ResourceCli.KindRef(item.Resource)}/{item.Resource.Metadata.Name} {item.Outcome}").ConfigureAwait(false);
            }
            await WarnAboutRouteReferencesAsync(cli, client, applied.Select(a => a.Resource).OfType<VirtualService>().ToList(), ct).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    /// <summary>Warns (as istioctl analyze does) about applied VirtualServices that name a missing gateway, host or subset.</summary>
    private static async Task WarnAboutRouteReferencesAsync(ResourceCli cli, MeshApiClient client, List<VirtualService> virtualServices, CancellationToken ct)
    {
        if (virtualServices.Count == 0) return;
        var gateways = await client.ListAsync("Gateway", null, null, ct).ConfigureAwait(false);
        var rules = await client.ListAsync("DestinationRule", null, null, ct).ConfigureAwait(false);
        var services = await client.ListAsync("Service", null, null, ct).ConfigureAwait(false);
        foreach (var warning in RouteReferences.Check(MeshState.From([.. gateways, .. rules, .. services]), virtualServices))
        {
            await cli.Err.WriteLineAsync($"Warning: {warning.Resource} {warning.Field}: {warning.Sentence}").ConfigureAwait(false);
        }
    }

    private static void CheckNamespaces(IEnumerable<Resource> resources, string? explicitNamespace)
    {
        if (explicitNamespace is null) return;
        foreach (var resource in resources)
        {
            if (resource.IsNamespaced && resource.Metadata.Namespace is { } ns && ns != explicitNamespace)
            {
                throw new CliUsageException(
                    $"the namespace from the provided object \"{ns}\" does not match the namespace \"{explicitNamespace}\". You must pass '--namespace={ns}' to perform this operation.");
            }
        }
    }

    /// <summary>Prints errors about items[i] at the file, line and column that object came from.</summary>
    private static bool ReportAtSource(ResourceCli cli, MeshApiException error, IReadOnlyList<Resource> resources)
    {
        var located = error.Causes
            .Select(c => (Cause: c, Match: ItemField().Match(c.Field)))
            .Where(x => x.Match.Success && int.Parse(x.Match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) < resources.Count)
            .ToList();
        if (located.Count == 0) return false;
        foreach (var (cause, match) in located)
        {
            var resource = resources[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)];
            var where = resource.Source is { } s ? $"{s.File}:{s.Line}:{s.Column}: " : "";
            var field = match.Groups[2].Value;
            cli.Err.WriteLine($"{where}error: {resource.Kind} \"{resource.Metadata.Name}\": {(field.Length > 0 ? field + ": " : "")}{cause.Message}");
        }
        cli.Err.WriteLine($"Error from server ({error.Reason}): nothing was applied");
        return true;
    }

    [GeneratedRegex(@"^items\[(\d+)\]\.?(.*)$")]
    private static partial Regex ItemField();
}
