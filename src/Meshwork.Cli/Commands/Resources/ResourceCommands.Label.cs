using System.Collections.Immutable;
using System.CommandLine;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Cli.Output;
using Meshwork.Runtime;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>`label`: set or remove labels, as kubectl does.</summary>
public static partial class ResourceCommands
{
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
}
