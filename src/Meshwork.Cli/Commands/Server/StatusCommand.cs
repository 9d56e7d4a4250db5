using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Hosting.Status;

namespace Meshwork.Cli.Commands.Server;

/// <summary>
/// <c>meshwork status</c>: whether the control plane is ready, its store's health, every replica
/// with its heartbeat, the proxies connected to it and which one leads, and every node with its pod
/// range and pods. Exit 0 when ready, 1 when the control plane cannot be asked, 2 when it answers but
/// is not ready.
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var output = new Option<string?>("--output", "-o") { Description = "json" };
        var command = new Command("status", "Show the control plane's replicas, connected proxies per replica, the nodes and the store's health") { output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var state = GlobalOptions.ResolveStateDirectory(parse);
            string json;
            ControlPlaneStatus status;
            try
            {
                using var api = MeshApiClient.FromStateDirectory(state, parse.GetValue(GlobalOptions.Server));
                json = await api.SendAsync(HttpMethod.Get, ControlPlaneStatus.Path, jsonBody: null, cancellationToken);
                status = JsonSerializer.Deserialize(json, StatusJson.Default.ControlPlaneStatus) ?? throw new JsonException("empty status");
            }
            catch (Exception e) when (e is MeshApiException or HttpRequestException or JsonException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
            var format = parse.GetValue(output);
            if (format == "json") Console.WriteLine(json);
            else if (format is not null)
            {
                Console.Error.WriteLine($"error: unknown output format '{format}' (use json)");
                return 1;
            }
            else Console.Write(Render(status));
            return status.Ready ? 0 : 2;
        });
        return command;
    }

    internal static string Render(ControlPlaneStatus status)
    {
        var text = new StringBuilder();
        var store = status.Store;
        text.Append(CultureInfo.InvariantCulture, $"Control plane: {(status.Ready ? "ready" : "NOT READY")}\n");
        text.Append(CultureInfo.InvariantCulture, $"Store:         {store.Backend} {store.Location}: {(store.Reachable ? "reachable" : "UNREACHABLE")}{(store.Problem is { } p ? $" ({p})" : "")}\n\n");
        var rows = new List<string[]> { new[] { "REPLICA", "URL", "HOST", "PID", "HEARTBEAT", "PROXIES", "LEADER" } };
        rows.AddRange(status.Replicas.Select(r => new[]
        {
            r.Self ? r.Id + " (this)" : r.Id, r.Url, r.Host, r.Pid.ToString(CultureInfo.InvariantCulture),
            r.Self ? "now" : $"{r.HeartbeatAgeSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s ago",
            r.ConnectedProxies.ToString(CultureInfo.InvariantCulture), r.Leader ? "yes" : "",
        }));
        AppendTable(text, rows);
        if (status.Nodes is not { Length: > 0 } nodes) return text.ToString();
        var nodeRows = new List<string[]> { new[] { "NODE", "STATUS", "POD RANGE", "ADDRESS", "PODS", "HEARTBEAT" } };
        nodeRows.AddRange(nodes.Select(n => new[]
        {
            n.Name, n.Ready ? "Ready" : "NotReady", n.PodCidr ?? "<none>", n.InternalIp ?? "<none>", n.Pods.ToString(CultureInfo.InvariantCulture),
            n.HeartbeatAgeSeconds is { } age ? $"{age.ToString("0.#", CultureInfo.InvariantCulture)}s ago" : "never",
        }));
        text.Append('\n');
        AppendTable(text, nodeRows);
        return text.ToString();
    }

    private static void AppendTable(StringBuilder text, List<string[]> rows)
    {
        var widths = Enumerable.Range(0, rows[0].Length).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
        {
            text.Append(string.Join("   ", row.Select((cell, c) => cell.PadRight(widths[c]))).TrimEnd()).Append('\n');
        }
    }
}
