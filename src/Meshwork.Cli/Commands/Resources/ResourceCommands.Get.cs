using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.Api.Tables;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Cli.Output;
using Meshwork.Runtime;
using Meshwork.Runtime.Network;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>`get`: tables with kubectl's columns, or the objects as JSON, YAML, names or jsonpath.</summary>
public static partial class ResourceCommands
{
    private static Command Get()
    {
        var targets = TargetsArgument();
        var ns = GlobalOptions.Namespace;
        var all = AllNamespacesOption();
        var selector = SelectorOption();
        var output = new Option<string?>("--output", "-o") { Description = "yaml, json, wide, name, jsonpath=TEMPLATE" };
        var watch = new Option<bool>("--watch", "-w") { Description = "After listing, print changes as they happen" };
        var showLabels = new Option<bool>("--show-labels") { Description = "Add a LABELS column" };
        var command = new Command("get", "List objects or show some of them") { targets, all, selector, output, watch, showLabels };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var args = parse.GetValue(targets) ?? [];
            if (args.Length == 0) throw new CliUsageException($"you must specify the type of resource to get. Known types: {string.Join(", ", KindRegistry.All.Select(k => k.Plural))}");
            var format = OutputFormat.Parse(parse.GetValue(output)) with { ShowLabels = parse.GetValue(showLabels) };
            var allNamespaces = parse.GetValue(all);
            var @namespace = allNamespaces ? null : parse.GetValue(ns) ?? "default";
            var label = parse.GetValue(selector);
            using var client = cli.Connect();
            var found = new List<Resource>();
            var failed = false;
            var named = false;
            string? listRevision = null;
            foreach (var group in ResourceCli.Targets(args).GroupBy(t => t.Kind))
            {
                var kind = group.Key;
                if (group.All(t => t.Name is null))
                {
                    var list = await client.ListWithRevisionAsync(kind.Kind, kind.Namespaced ? @namespace : null, label, ct).ConfigureAwait(false);
                    found.AddRange(list.Items);
                    listRevision = list.ResourceVersion;
                    continue;
                }
                named = true;
                foreach (var (_, name) in group)
                {
                    var resource = await client.GetAsync(kind.Kind, kind.Namespaced ? @namespace ?? "default" : null, name!, ct).ConfigureAwait(false);
                    if (resource is null)
                    {
                        await cli.Err.WriteLineAsync($"Error from server (NotFound): {kind.FullyQualifiedPlural} \"{name}\" not found").ConfigureAwait(false);
                        failed = true;
                    }
                    else
                    {
                        found.Add(resource);
                    }
                }
            }
            var kinds = ResourceCli.Targets(args).Select(t => t.Kind).Distinct().ToList();
            if (kinds.Any(k => k.Kind == "Pod") && RuntimeInfo.ReadLive(cli.State)?.PodNetwork == nameof(PodNetworkMode.Loopback))
            {
                await cli.Err.WriteLineAsync($"note: {PodNetworkModes.NotIsolatedNote}").ConfigureAwait(false);
            }
            var single = named && args.Length == 2 && !args[0].Contains(',') && found.Count == 1 || (args.Length == 1 && args[0].Contains('/') && found.Count == 1);
            await PrintAsync(cli, client, format, found, kinds, single, allNamespaces, @namespace, ct).ConfigureAwait(false);
            if (parse.GetValue(watch) && kinds.Count == 1)
            {
                var kind = kinds[0];
                var widths = OutputTable.Widths([Header(kind, format, allNamespaces)]);
                await foreach (var change in client.WatchAsync(kind.Kind, kind.Namespaced ? @namespace : null, listRevision, label, ct).ConfigureAwait(false))
                {
                    var pods = kind.Kind == "Deployment" ? await PodsFor(client, [change.Object], ct).ConfigureAwait(false) : [];
                    var row = Row(change.Object, format, allNamespaces, new ResourceColumns.RowContext(pods, DateTimeOffset.UtcNow));
                    await cli.Out.WriteAsync(format.Kind == OutputKind.Table ? OutputTable.Format([row], widths) : Render(format, [change.Object], single: true)).ConfigureAwait(false);
                    await cli.Out.FlushAsync(ct).ConfigureAwait(false);
                }
            }
            return failed ? 1 : 0;
        }));
        return command;
    }

    private static async Task PrintAsync(ResourceCli cli, MeshApiClient client, OutputFormat format, List<Resource> found, List<KindInfo> kinds, bool single,
        bool allNamespaces, string? @namespace, CancellationToken ct)
    {
        if (format.Kind != OutputKind.Table)
        {
            if (found.Count == 0 && format.Kind == OutputKind.Name) return;
            await cli.Out.WriteAsync(Render(format, found, single)).ConfigureAwait(false);
            return;
        }
        if (found.Count == 0)
        {
            var where = allNamespaces || kinds.All(k => !k.Namespaced) ? "" : $" in {@namespace} namespace";
            await cli.Err.WriteLineAsync($"No resources found{where}.").ConfigureAwait(false);
            return;
        }
        var pods = found.Any(r => r is Deployment) ? await PodsFor(client, found, ct).ConfigureAwait(false) : [];
        var context = new ResourceColumns.RowContext(pods, DateTimeOffset.UtcNow);
        var first = true;
        foreach (var group in found.GroupBy(r => r.Kind))
        {
            var kind = ResourceCli.Kind(group.Key);
            var prefixKind = kinds.Count > 1;
            var rows = new List<IReadOnlyList<string>> { Header(kind, format, allNamespaces) };
            foreach (var resource in group)
            {
                var row = Row(resource, format, allNamespaces, context);
                if (prefixKind) row[allNamespaces ? 1 : 0] = $"{ResourceCli.KindRef(kind)}/{row[allNamespaces ? 1 : 0]}";
                rows.Add(row);
            }
            if (!first) await cli.Out.WriteLineAsync().ConfigureAwait(false);
            first = false;
            await cli.Out.WriteAsync(OutputTable.Format(rows)).ConfigureAwait(false);
        }
    }

    private static List<string> Header(KindInfo kind, OutputFormat format, bool allNamespaces)
    {
        var header = OutputTable.Header(kind, format.Wide, allNamespaces).ToList();
        if (format.ShowLabels) header.Add("LABELS");
        return header;
    }

    private static List<string> Row(Resource resource, OutputFormat format, bool allNamespaces, ResourceColumns.RowContext context)
    {
        var row = OutputTable.Row(resource, format.Wide, allNamespaces, context).ToList();
        if (format.ShowLabels)
        {
            row.Add(resource.Metadata.Labels.Count == 0 ? "<none>" : string.Join(',', resource.Metadata.Labels.Select(l => $"{l.Key}={l.Value}")));
        }
        return row;
    }

    private static async Task<IReadOnlyList<Pod>> PodsFor(MeshApiClient client, IEnumerable<Resource> deployments, CancellationToken ct)
    {
        var pods = new List<Pod>();
        foreach (var ns in deployments.Select(d => d.Metadata.Namespace).Distinct())
        {
            pods.AddRange((await client.ListAsync("Pod", ns, null, ct).ConfigureAwait(false)).OfType<Pod>());
        }
        return pods;
    }

    private static string Render(OutputFormat format, IReadOnlyList<Resource> resources, bool single)
    {
        if (format.Kind == OutputKind.Name)
        {
            return string.Concat(resources.Select(r => $"{ResourceCli.KindRef(r)}/{r.Metadata.Name}\n"));
        }
        JsonNode document;
        if (single && resources.Count == 1)
        {
            document = JsonNode.Parse(ResourceJson.Serialize(resources[0]))!;
        }
        else
        {
            var items = new JsonArray();
            foreach (var r in resources) items.Add(JsonNode.Parse(ResourceJson.Serialize(r)));
            document = new JsonObject
            {
                ["apiVersion"] = "v1",
                ["items"] = items,
                ["kind"] = "List",
                ["metadata"] = new JsonObject { ["resourceVersion"] = "" },
            };
        }
        return format.Kind switch
        {
            OutputKind.Json => document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n",
            OutputKind.Yaml => OutputYaml.Write(document),
            OutputKind.Jsonpath => EvaluateJsonpath(format.Template!, document),
            _ => throw new CliUsageException($"unknown output format {format.Kind}"),
        };
    }

    private static string EvaluateJsonpath(JsonpathTemplate template, JsonNode document)
    {
        try
        {
            return template.Evaluate(document);
        }
        catch (KeyNotFoundException e)
        {
            throw new CliUsageException($"error executing jsonpath: {e.Message}");
        }
    }
}
