using System.CommandLine;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Runtime;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>`delete` by kind and name, by file, by label, or all of a kind.</summary>
public static partial class ResourceCommands
{
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
}
