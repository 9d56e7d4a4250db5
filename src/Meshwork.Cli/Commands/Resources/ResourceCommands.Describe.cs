using System.CommandLine;
using Meshwork.Api.Events;
using Meshwork.Cli.Output.Describe;
using Meshwork.Model.Resources;
using Meshwork.Runtime;

namespace Meshwork.Cli.Commands.Resources;

/// <summary>`describe`: the objects in a human layout.</summary>
public static partial class ResourceCommands
{
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
