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
        var policy = new Option<string?>("--policy") { Description = "A file of proposed PeerAuthentications to judge instead of STRICT everywhere" };
        var output = new Option<string?>("--output", "-o") { Description = "json, or a table when absent" };
        var command = new Command("preflight", "Which callers would STRICT mTLS (or the proposed policy) refuse? Exits 2 when any would break") { target, all, since, policy, output };
        command.SetAction((parse, cancellationToken) => Resources.ResourceCli.RunAsync(parse, async cli =>
        {
            var window = DurationArgument.Parse(parse.GetValue(since)!, "--since");
            var @namespace = parse.GetValue(GlobalOptions.Namespace);
            IReadOnlyList<PodRecord> pods = parse.GetValue(all) ? PodRecord.List(cli.State) : PodRecord.List(cli.State, @namespace);
            if (parse.GetValue(target) is { } workload)
            {
                var name = workload.Contains('/', StringComparison.Ordinal) ? workload[(workload.IndexOf('/', StringComparison.Ordinal) + 1)..] : workload;
                pods = [.. PodRecord.List(cli.State, @namespace ?? "default").Where(p => p.Deployment == name)];
                if (pods.Count == 0) throw new Resources.CliUsageException($"no pods of deployment \"{name}\" in namespace \"{@namespace ?? "default"}\"");
            }
            IReadOnlyList<Model.Resources.Resource>? proposed = null;
            if (parse.GetValue(policy) is { } file)
            {
                var read = Resources.ResourceCli.ReadManifests([file], @namespace ?? "default");
                if (cli.ReportDiagnostics(read)) return 1;
                proposed = PreflightProposal.Validate(MeshSource.AsApplied(read.Resources), file);
            }
            var now = DateTimeOffset.UtcNow;
            var (edges, unreachable) = await PlaintextInventory.CollectAsync(cli.State, pods, cancellationToken);
            var recent = edges.Where(e => e.LastSeen >= now - window).ToList();
            IReadOnlyList<PreflightVerdict> verdicts;
            if (proposed is null)
            {
                verdicts = PreflightProposal.AssumeStrict(recent);
            }
            else
            {
                using var api = cli.Connect();
                verdicts = PreflightProposal.Evaluate(await MeshSource.LiveResourcesAsync(api, cancellationToken).ConfigureAwait(false), proposed, recent);
            }
            var refused = verdicts.Where(v => v.Refused).ToList();
            foreach (var line in unreachable) cli.Err.WriteLine($"error: cannot read the plaintext callers of {line}");
            var what = proposed is null ? "STRICT" : "the proposed policy";
            if (parse.GetValue(output) == "json")
            {
                cli.Out.WriteLine(JsonSerializer.Serialize(refused.Select(v => new { v.Edge.Destination, v.Edge.DestinationNamespace, v.Edge.Port, v.Edge.Source, v.Edge.SourceNamespace,
                    v.Edge.Address, v.Edge.Connections, v.Edge.FirstSeen, v.Edge.LastSeen, v.Mode, ModeSource = v.Source }), JsonOptions));
            }
            else if (refused.Count > 0)
            {
                cli.Out.Write(OutputTable.Format(Table([.. refused.Select(v => v.Edge)], now, [.. refused.Select(v => $"{v.Mode} ({v.Source})")])));
                cli.Out.WriteLine($"{refused.Count} plaintext caller(s) seen in the last {parse.GetValue(since)} would be refused by {what}: " +
                    "mesh them (sidecar injection) or keep their ports PERMISSIVE before applying STRICT");
            }
            else if (unreachable.Count == 0)
            {
                var spared = verdicts.Count == 0 ? "" : $" ({verdicts.Count} plaintext caller(s) keep a port that takes plaintext)";
                cli.Out.WriteLine($"No plaintext caller in the last {parse.GetValue(since)} among {pods.Count(p => p.Sidecar)} sidecar(s): {what} would refuse no caller seen{spared}.");
            }
            return refused.Count > 0 ? WouldBreakExitCode : unreachable.Count > 0 ? 1 : 0;
        }));
        return command;
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <param name="modes">Per edge, the mode it would meet (pre-flight), or null for the plain inventory.</param>
    private static List<IReadOnlyList<string>> Table(IReadOnlyList<PlaintextEdge> edges, DateTimeOffset now, IReadOnlyList<string>? modes = null)
    {
        List<string> header = ["DESTINATION", "PORT", "SOURCE", "ADDRESS", "CONNECTIONS", "LAST SEEN"];
        if (modes is not null) header.Add("MODE");
        List<IReadOnlyList<string>> rows = [header];
        var order = Enumerable.Range(0, edges.Count)
            .OrderBy(i => edges[i].DestinationNamespace, StringComparer.Ordinal).ThenBy(i => edges[i].Destination, StringComparer.Ordinal).ThenBy(i => edges[i].Port);
        foreach (var i in order)
        {
            var edge = edges[i];
            List<string> row = [$"{edge.Destination}.{edge.DestinationNamespace}", edge.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                edge.SourceNamespace is null ? edge.Source : $"{edge.Source}.{edge.SourceNamespace}", edge.Address,
                edge.Connections.ToString(System.Globalization.CultureInfo.InvariantCulture), ProxyStatusCommand.Age(now - edge.LastSeen) + " ago"];
            if (modes is not null) row.Add(modes[i]);
            rows.Add(row);
        }
        return rows;
    }
}
