using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Cli.Commands.Resources;
using Meshwork.Policy;
using Meshwork.Policy.Traffic;
using Meshwork.Policy.Why;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// <c>meshwork x why FROM TO</c>: why a call from a running workload to a host:port fails — the first
/// cause it meets, from the policy engine and the live state of the two proxies — and the next command
/// to run. FROM is POD[.NS] or deploy/NAME[.NS]; TO is host:port as the client dials it, or a URL.
/// </summary>
internal static class WhyCommand
{
    public static Command Create()
    {
        var from = new Argument<string>("from") { Description = "The client: POD[.NAMESPACE] or deploy/NAME[.NAMESPACE] (namespace from -n otherwise)" };
        var to = new Argument<string>("to") { Description = "Where it calls: host:port (httpbin.foo:8000) or a URL (http://httpbin.foo:8000/ip)" };
        var method = new Option<string>("--method", "-X") { Description = "HTTP method", DefaultValueFactory = _ => "GET" };
        var output = new Option<string>("--output", "-o") { Description = "text or json", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("why", "Why does a call from a workload fail? The cause, its evidence, and the next command to run") { from, to, method, output };
        command.SetAction((parse, cancellationToken) => ResourceCli.RunAsync(parse, async cli =>
        {
            var fromText = parse.GetValue(from)!;
            var @namespace = parse.GetValue(GlobalOptions.Namespace) ?? "default";
            var client = WorkloadArgument.Parse(fromText, @namespace);
            if (!ExplainCommand.TryParseTarget(parse.GetValue(to)!, out var host, out var port, out var path, out var targetError))
            {
                throw new CliUsageException($"TO {targetError}");
            }
            using var api = cli.Connect();
            var mesh = await MeshSource.LiveAsync(api, cancellationToken).ConfigureAwait(false);
            var workload = client.Resolve(mesh);
            var query = new TrafficQuery
            {
                Client = workload,
                ClientNamespace = workload.Namespace,
                Host = host,
                Port = port,
                Method = parse.GetValue(method) ?? "GET",
                Path = path ?? "/",
            };
            var pod = PodRecord.Resolve(cli.State, client.Namespace, client.IsDeployment ? $"deploy/{client.Name}" : $"pod/{workload.Name}", out _);
            var live = await WhyLiveState.CollectAsync(cli.State, pod, TrafficExplainer.Explain(mesh, query), cli.Err, cancellationToken).ConfigureAwait(false);
            var diagnosis = CallDiagnoser.Diagnose(mesh, query, live);
            var next = WhyNextCommand.For(diagnosis, $"{(client.IsDeployment ? "deploy/" : "")}{client.Name}.{client.Namespace}");
            await cli.Out.WriteAsync(parse.GetValue(output) == "json" ? Json(diagnosis, next) : Text(diagnosis, next)).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static string Text(CallDiagnosis d, string next)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine($"{d.Explanation.From} -> {d.Explanation.To}");
        text.AppendLine($"Cause: {CallFailureCauses.Title(d.Cause)}");
        text.AppendLine($"  {d.Summary}");
        text.AppendLine();
        text.AppendLine("Evidence:");
        foreach (var reason in d.Evidence) text.AppendLine($"  - {reason.Sentence}{Where(reason)}");
        text.AppendLine();
        text.AppendLine("Next:");
        text.AppendLine($"  {next}");
        return text.ToString();
    }

    private static string Where(Reason reason) => reason.Resource is null ? "" : $"  [{reason.Resource}{(reason.Field is null ? "" : " " + reason.Field)}]";

    private static string Json(CallDiagnosis d, string next)
    {
        var evidence = new JsonArray();
        foreach (var reason in d.Evidence)
        {
            evidence.Add(new JsonObject { ["reason"] = reason.Sentence, ["resource"] = reason.Resource, ["field"] = reason.Field });
        }
        var json = new JsonObject
        {
            ["from"] = d.Explanation.From,
            ["to"] = d.Explanation.To,
            ["cause"] = CallFailureCauses.Code(d.Cause),
            ["summary"] = d.Summary,
            ["endpoint"] = d.Endpoint,
            ["policy"] = d.Policy,
            ["rule"] = d.Rule,
            ["outcome"] = TrafficExplainer.Text(d.Explanation.Outcome),
            ["evidence"] = evidence,
            ["next"] = next,
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }
}
