using System.Text.Json;
using Meshwork.Api;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>One plaintext edge: a caller that reached a workload port of a sidecar without TLS.</summary>
internal sealed record PlaintextEdge(
    string Destination, string DestinationNamespace, int Port, string Source, string? SourceNamespace, string Address,
    long Connections, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

/// <summary>
/// Reads the plaintext-peer tables of the sidecars in scope (admin <c>/plaintext_peers</c>) and names
/// each caller by the one pod whose connections come from its address, or "unknown" when no single pod does.
/// A sidecar that cannot be asked is reported, never silently skipped.
/// </summary>
internal static class PlaintextInventory
{
    public static async Task<(IReadOnlyList<PlaintextEdge> Edges, IReadOnlyList<string> Unreachable)> CollectAsync(
        StateDirectory state, IReadOnlyList<PodRecord> destinations, CancellationToken cancellationToken)
    {
        var pods = PodRecord.List(state);
        var edges = new List<PlaintextEdge>();
        var unreachable = new List<string>();
        foreach (var pod in destinations.Where(p => p.Sidecar && !p.Terminating))
        {
            JsonDocument json;
            try
            {
                using var admin = ProxyAdmin.For(pod, TimeSpan.FromSeconds(10));
                json = JsonDocument.Parse(await admin.GetAsync("plaintext_peers", cancellationToken).ConfigureAwait(false));
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ProxyAdminException or JsonException)
            {
                unreachable.Add($"{pod.Name}.{pod.Namespace}: {e.Message}");
                continue;
            }
            using (json)
            {
                foreach (var peer in json.RootElement.GetProperty("peers").EnumerateArray())
                {
                    var address = peer.GetProperty("source").GetString() ?? "";
                    // Pods without a sidecar that share their namespace's network proxy cannot be told apart: "unknown".
                    var source = PodRecord.ConnectingFrom(pods, address) is [var only] ? only : null;
                    edges.Add(new PlaintextEdge(pod.Name, pod.Namespace, peer.GetProperty("port").GetInt32(),
                        source?.Name ?? "unknown", source?.Namespace, address, peer.GetProperty("connections").GetInt64(),
                        peer.GetProperty("first_seen").GetDateTimeOffset(), peer.GetProperty("last_seen").GetDateTimeOffset()));
                }
            }
        }
        return (edges, unreachable);
    }
}
