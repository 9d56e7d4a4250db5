using System.CommandLine;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Cli.Output;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// `meshwork x mtls plaintext` (every edge still carrying plaintext) and `meshwork x mtls preflight`
/// (which callers STRICT would refuse), from the sidecars' plaintext-peer tables. Istio never shipped
/// this check (istio#16867); request metrics carry no addresses, so the sidecars keep the table.
/// Without -n they look at every namespace.
/// </summary>
internal static class MtlsCommands
{
    /// <summary>preflight's exit code when STRICT would refuse a caller (1 is for errors), so a pipeline can gate on it.</summary>
    public const int WouldBreakExitCode = 2;

    public static Command Create()
    {
        var mtls = new Command("mtls", "Mutual TLS migration checks") { Plaintext(), Preflight() };
        return mtls;
    }

    private static Command Plaintext()
    {
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Every namespace (the default without -n)" };
        var output = new Option<string?>("--output", "-o") { Description = "json, or a table when absent" };
        var command = new Command("plaintext", "List every caller that reaches a sidecar's workload port without TLS") { all, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var state = GlobalOptions.ResolveStateDirectory(parse);
            var pods = parse.GetValue(all) ? PodRecord.List(state) : PodRecord.List(state, parse.GetValue(GlobalOptions.Namespace));
            var (edges, unreachable) = await PlaintextInventory.CollectAsync(state, pods, cancellationToken);
            foreach (var line in unreachable) stderr.WriteLine($"warning: cannot read the plaintext callers of {line}");
            if (parse.GetValue(output) == "json")
            {
                stdout.WriteLine(JsonSerializer.Serialize(edges, JsonOptions));
            }
            else if (edges.Count == 0)
            {
                stdout.WriteLine("No plaintext callers seen.");
            }
            else
            {
                stdout.Write(OutputTable.Format(Table(edges, DateTimeOffset.UtcNow)));
            }
            return unreachable.Count > 0 ? 1 : 0;
        });
        return command;
    }

    private static Command Preflight()
    {
        var target = new Argument<string?>("workload") { Description = "deploy/NAME (in -n's namespace) to check only its pods", Arity = ArgumentArity.ZeroOrOne };
        var all = new Option<bool>("--all-namespaces", "-A") { Description = "Every namespace (the default without -n)" };
        var since = new Option<string>("--since") { Description = "Only callers seen within this window (e.g. 10m, 1h)", DefaultValueFactory = _ => "10m" };
        var output = new Option<string?>("--output", "-o") { Description = "json, or a table when absent" };
        var command = new Command("preflight", "Which callers would STRICT mTLS refuse? Exits 2 when any would break") { target, all, since, output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var state = GlobalOptions.ResolveStateDirectory(parse);
            TimeSpan window;
            try
            {
                window = DurationArgument.Parse(parse.GetValue(since)!, "--since");
            }
            catch (Resources.CliUsageException e)
            {
                stderr.WriteLine($"error: {e.Message}");
                return 1;
            }
            var @namespace = parse.GetValue(GlobalOptions.Namespace);
            IReadOnlyList<PodRecord> pods = parse.GetValue(all) ? PodRecord.List(state) : PodRecord.List(state, @namespace);
            if (parse.GetValue(target) is { } workload)
            {
                var name = workload.Contains('/', StringComparison.Ordinal) ? workload[(workload.IndexOf('/', StringComparison.Ordinal) + 1)..] : workload;
                pods = [.. PodRecord.List(state, @namespace ?? "default").Where(p => p.Deployment == name)];
                if (pods.Count == 0)
                {
                    stderr.WriteLine($"error: no pods of deployment \"{name}\" in namespace \"{@namespace ?? "default"}\"");
                    return 1;
                }
            }
            var now = DateTimeOffset.UtcNow;
            var (edges, unreachable) = await PlaintextInventory.CollectAsync(state, pods, cancellationToken);
            var refused = edges.Where(e => e.LastSeen >= now - window).ToList();
            foreach (var line in unreachable) stderr.WriteLine($"error: cannot read the plaintext callers of {line}");
            if (parse.GetValue(output) == "json")
            {
                stdout.WriteLine(JsonSerializer.Serialize(refused, JsonOptions));
            }
            else if (refused.Count > 0)
            {
                stdout.Write(OutputTable.Format(Table(refused, now)));
                stdout.WriteLine($"{refused.Count} plaintext caller(s) seen in the last {parse.GetValue(since)} would be refused by STRICT: " +
                    "mesh them (sidecar injection) or keep their ports PERMISSIVE before applying STRICT");
            }
            else if (unreachable.Count == 0)
            {
                stdout.WriteLine($"No plaintext caller in the last {parse.GetValue(since)} among {pods.Count(p => p.Sidecar)} sidecar(s): STRICT would refuse no caller seen.");
            }
            return refused.Count > 0 ? WouldBreakExitCode : unreachable.Count > 0 ? 1 : 0;
        });
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    private static List<IReadOnlyList<string>> Table(IReadOnlyList<PlaintextEdge> edges, DateTimeOffset now)
    {
        List<IReadOnlyList<string>> rows = [["DESTINATION", "PORT", "SOURCE", "ADDRESS", "CONNECTIONS", "LAST SEEN"]];
        foreach (var edge in edges.OrderBy(e => e.DestinationNamespace, StringComparer.Ordinal).ThenBy(e => e.Destination, StringComparer.Ordinal).ThenBy(e => e.Port))
        {
            rows.Add([$"{edge.Destination}.{edge.DestinationNamespace}", edge.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                edge.SourceNamespace is null ? edge.Source : $"{edge.Source}.{edge.SourceNamespace}", edge.Address,
                edge.Connections.ToString(System.Globalization.CultureInfo.InvariantCulture), ProxyStatusCommand.Age(now - edge.LastSeen) + " ago"]);
        }
        return rows;
    }
}
