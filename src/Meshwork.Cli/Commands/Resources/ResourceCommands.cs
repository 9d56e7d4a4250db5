using System.Collections.Immutable;
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Meshwork.Api;
using Meshwork.Api.Events;
using Meshwork.Api.Tables;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Model.Yaml;
using Meshwork.Cli.Output;
using Meshwork.Cli.Output.Describe;
using Meshwork.Model.Mesh;
using Meshwork.Runtime;
using Meshwork.Runtime.Network;
using Meshwork.Policy;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>kubectl's verbs against the config API: apply, create, get, delete, label, describe.</summary>
public static partial class ResourceCommands
{
    public static IEnumerable<Command> Create() =>
        [Apply(), CreateCommand(), Get(), Delete(), Label(), Describe()];

    private static Option<bool> AllNamespacesOption() => new("--all-namespaces", "-A") { Description = "Across all namespaces" };
    private static Option<string?> SelectorOption() => new("--selector", "-l") { Description = "Label selector, e.g. app=sleep,version!=v2" };
    private static Option<string[]> FilenameOption(string what) => new("--filename", "-f")
    {
        Description = $"Files or directories to {what} (YAML or JSON, multi-document); - for standard input",
        AllowMultipleArgumentsPerToken = false,
    };
    private static Argument<string[]> TargetsArgument() => new("resources") { Arity = ArgumentArity.ZeroOrMore, Description = "KIND [NAME...] or KIND/NAME..." };

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

    private enum OutputKind { Table, Json, Yaml, Name, Jsonpath }

    private sealed record OutputFormat(OutputKind Kind, bool Wide, JsonpathTemplate? Template)
    {
        public bool ShowLabels { get; init; }

        public static OutputFormat Parse(string? value)
        {
            if (string.IsNullOrEmpty(value)) return new(OutputKind.Table, false, null);
            if (value == "wide") return new(OutputKind.Table, true, null);
            if (value == "json") return new(OutputKind.Json, false, null);
            if (value == "yaml") return new(OutputKind.Yaml, false, null);
            if (value == "name") return new(OutputKind.Name, false, null);
            if (value.StartsWith("jsonpath=", StringComparison.Ordinal) || value.StartsWith("jsonpath-as-json=", StringComparison.Ordinal))
            {
                var text = value[(value.IndexOf('=') + 1)..];
                try
                {
                    return new(OutputKind.Jsonpath, false, JsonpathTemplate.Parse(text.Trim('\'')));
                }
                catch (FormatException e)
                {
                    throw new CliUsageException($"error parsing jsonpath {text}: {e.Message}");
                }
            }
            throw new CliUsageException($"unable to match a printer suitable for the output format \"{value}\", allowed formats are: json,jsonpath,name,wide,yaml");
        }
    }

    private static Command Delete()
    {
        var targets = TargetsArgument();
        var ns = GlobalOptions.Namespace;
        var all = new Option<bool>("--all") { Description = "Delete every object of the kind in the namespace" };
        var allNamespaces = AllNamespacesOption();
        var files = FilenameOption("delete the objects of");
        var selector = SelectorOption();
        var ignoreNotFound = new Option<bool>("--ignore-not-found") { Description = "Treat \"not found\" as success" };
        var command = new Command("delete", "Delete objects by kind and name, by file, by label, or all of a kind") { targets, all, allNamespaces, files, selector, ignoreNotFound };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var @namespace = parse.GetValue(ns) ?? "default";
            var everywhere = parse.GetValue(allNamespaces);
            var label = parse.GetValue(selector);
            var toDelete = new List<(KindInfo Kind, string? Namespace, string Name)>();
            using var client = cli.Connect();
            var paths = parse.GetValue(files) ?? [];
            if (paths.Length > 0)
            {
                var read = ResourceCli.ReadManifests(paths, @namespace);
                if (cli.ReportDiagnostics(read)) return 1;
                toDelete.AddRange(read.Resources.Select(r => (ResourceCli.Kind(r.Kind), r.Metadata.Namespace, r.Metadata.Name)));
            }
            var args = parse.GetValue(targets) ?? [];
            foreach (var (kind, name) in ResourceCli.Targets(args))
            {
                if (name is not null)
                {
                    toDelete.Add((kind, @namespace, name));
                    continue;
                }
                if (!parse.GetValue(all) && label is null)
                {
                    throw new CliUsageException("resource(s) were provided, but no name was specified (use --all to delete every one, or -l to select by label)");
                }
                var list = await client.ListAsync(kind.Kind, kind.Namespaced && !everywhere ? @namespace : null, label, ct).ConfigureAwait(false);
                if (list.IsEmpty)
                {
                    await cli.Err.WriteLineAsync(everywhere || !kind.Namespaced ? "No resources found" : $"No resources found in {@namespace} namespace.").ConfigureAwait(false);
                }
                toDelete.AddRange(list.Select(r => (kind, r.Metadata.Namespace, r.Metadata.Name)));
            }
            if (toDelete.Count == 0 && args.Length == 0 && paths.Length == 0)
            {
                throw new CliUsageException("You must provide one or more resources by argument or filename.");
            }
            var failed = false;
            var deletedNamespaces = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (kind, resourceNamespace, name) in toDelete)
            {
                var deleted = await client.DeleteAsync(kind.Kind, kind.Namespaced ? resourceNamespace : null, name, ct).ConfigureAwait(false);
                if (kind.Kind == "Namespace" && deleted) deletedNamespaces.Add(name);
                // An object listed after its namespace went with the namespace: it is deleted all the same.
                if (deleted || (kind.Namespaced && resourceNamespace is not null && deletedNamespaces.Contains(resourceNamespace)))
                {
                    await cli.Out.WriteLineAsync($"{ResourceCli.KindRef(kind)} \"{name}\" deleted").ConfigureAwait(false);
                }
                else if (!parse.GetValue(ignoreNotFound))
                {
                    await cli.Err.WriteLineAsync($"Error from server (NotFound): {kind.FullyQualifiedPlural} \"{name}\" not found").ConfigureAwait(false);
                    failed = true;
                }
            }
            return failed ? 1 : 0;
        }));
        return command;
    }

    private static Command Label()
    {
        var arguments = new Argument<string[]>("args") { Arity = ArgumentArity.OneOrMore, Description = "KIND NAME key=value... key-..., or KIND/NAME ..." };
        var ns = GlobalOptions.Namespace;
        var overwrite = new Option<bool>("--overwrite") { Description = "Allow replacing the value of an existing label" };
        var command = new Command("label", "Add, change or remove labels of an object") { arguments, overwrite };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var args = parse.GetValue(arguments) ?? [];
            var changes = args.Where(a => a.Contains('=') || (a.EndsWith('-') && !a.Contains('/'))).ToList();
            var objects = ResourceCli.Targets([.. args.Where(a => !changes.Contains(a))]);
            if (changes.Count == 0) throw new CliUsageException("at least one label update is required");
            if (objects.Count == 0 || objects.Any(o => o.Name is null)) throw new CliUsageException("one or more resources must be specified as <kind> <name> or <kind>/<name>");
            using var client = cli.Connect();
            foreach (var (kind, name) in objects)
            {
                var current = await client.GetAsync(kind.Kind, kind.Namespaced ? parse.GetValue(ns) ?? "default" : null, name!, ct).ConfigureAwait(false)
                    ?? throw new MeshApiException(404, "NotFound", $"{kind.FullyQualifiedPlural} \"{name}\" not found");
                var labels = current.Metadata.Labels.ToBuilder();
                foreach (var change in changes)
                {
                    if (change.EndsWith('-') && !change.Contains('='))
                    {
                        labels.Remove(change[..^1]);
                        continue;
                    }
                    var eq = change.IndexOf('=');
                    var (key, value) = (change[..eq], change[(eq + 1)..]);
                    if (labels.TryGetValue(key, out var existing) && existing != value && !parse.GetValue(overwrite))
                    {
                        throw new CliUsageException($"'{key}' already has a value ({existing}), and --overwrite is false");
                    }
                    labels[key] = value;
                }
                var updated = labels.ToImmutable();
                string verb;
                if (updated.SequenceEqual(current.Metadata.Labels)) verb = "not labeled";
                else
                {
                    // The resourceVersion makes this a compare-and-swap: a concurrent change is a Conflict, not lost.
                    await client.PutAsync(current with { Metadata = current.Metadata with { Labels = updated } }, ct).ConfigureAwait(false);
                    verb = updated.Count < current.Metadata.Labels.Count && changes.All(c => c.EndsWith('-')) ? "unlabeled" : "labeled";
                }
                await cli.Out.WriteLineAsync($"{ResourceCli.KindRef(kind)}/{name} {verb}").ConfigureAwait(false);
            }
            return 0;
        }));
        return command;
    }

    private static Command Describe()
    {
        var targets = TargetsArgument();
        var ns = GlobalOptions.Namespace;
        var all = AllNamespacesOption();
        var selector = SelectorOption();
        var command = new Command("describe", "Show the details of objects") { targets, all, selector };
        command.SetAction((parse, ct) => ResourceCli.RunAsync(parse, async cli =>
        {
            var args = parse.GetValue(targets) ?? [];
            if (args.Length == 0) throw new CliUsageException("you must specify the type of resource to describe");
            var @namespace = parse.GetValue(all) ? null : parse.GetValue(ns) ?? "default";
            using var client = cli.Connect();
            var found = new List<Resource>();
            var failed = false;
            foreach (var (kind, name) in ResourceCli.Targets(args))
            {
                if (name is null)
                {
                    found.AddRange(await client.ListAsync(kind.Kind, kind.Namespaced ? @namespace : null, parse.GetValue(selector), ct).ConfigureAwait(false));
                    continue;
                }
                var resource = await client.GetAsync(kind.Kind, kind.Namespaced ? @namespace ?? "default" : null, name, ct).ConfigureAwait(false);
                if (resource is null)
                {
                    await cli.Err.WriteLineAsync($"Error from server (NotFound): {kind.FullyQualifiedPlural} \"{name}\" not found").ConfigureAwait(false);
                    failed = true;
                }
                else found.Add(resource);
            }
            var first = true;
            foreach (var resource in found)
            {
                if (!first) await cli.Out.WriteLineAsync().ConfigureAwait(false);
                first = false;
                var events = await client.EventsAboutAsync(resource, ct).ConfigureAwait(false);
                await cli.Out.WriteAsync(ResourceDescriber.Describe(resource, events, DateTimeOffset.UtcNow)).ConfigureAwait(false);
            }
            return failed ? 1 : 0;
        }));
        return command;
    }
}
