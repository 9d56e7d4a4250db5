using System.Collections.Immutable;
using Meshwork.Api;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Identity;
using Meshwork.Policy.Traffic;
using Meshwork.Policy.Why;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// Gathers what the proxies at both ends of a call hold: the certificates in their pods (what
/// <c>proxy-config secret</c> shows), the connections each endpoint's sidecar refused from the
/// address the client's connections come from (its admin <c>/stats/prometheus</c>), as the runtime records
/// it: in loopback mode a client without a sidecar calls through its namespace's network proxy, and the
/// response codes and flags both sidecars counted for the call. A proxy
/// that does not answer is a warning: the diagnosis then rests on the policies alone.
/// </summary>
internal static class WhyLiveState
{
    public static async Task<LiveCallState> CollectAsync(
        StateDirectory state, PodRecord? client, TrafficExplanation explanation, TextWriter warnings, CancellationToken cancellationToken)
    {
        var servers = ImmutableDictionary.CreateBuilder<string, ProxyCertificates>();
        var refused = ImmutableDictionary.CreateBuilder<string, ImmutableArray<RefusedConnections>>();
        var serverObserved = ImmutableDictionary.CreateBuilder<string, ImmutableArray<ObservedCalls>>();
        var tcp = explanation.Protocol is "tcp" or "tls";
        foreach (var endpoint in explanation.Endpoints.Where(e => e.HasSidecar))
        {
            var slash = endpoint.Workload.IndexOf('/', StringComparison.Ordinal);
            var pod = PodRecord.List(state, endpoint.Workload[..slash]).FirstOrDefault(p => p.Name == endpoint.Workload[(slash + 1)..] && !p.Terminating);
            if (pod is null) continue;
            if (Certificates(state, pod) is { } held) servers[endpoint.Workload] = held;
            if (client is null || await StatsAsync(pod, endpoint.Workload, warnings, cancellationToken).ConfigureAwait(false) is not { } stats) continue;
            refused[endpoint.Workload] = RefusalMetrics.From(stats, client.ConnectsFrom);
            if (client.Sidecar) serverObserved[endpoint.Workload] = ObservedCallMetrics.FromWorkload(stats, tcp, client.Deployment, client.Namespace);
        }
        var clientObserved = ImmutableArray<ObservedCalls>.Empty;
        if (client is { Sidecar: true } && explanation.Service is { } service
            && await StatsAsync(client, $"{client.Namespace}/{client.Name}", warnings, cancellationToken).ConfigureAwait(false) is { } clientStats)
        {
            clientObserved = ObservedCallMetrics.ToService(clientStats, tcp, service);
        }
        return new LiveCallState
        {
            Now = DateTimeOffset.UtcNow,
            ClientAddress = client?.ConnectsFrom,
            Client = client is null ? null : Certificates(state, client),
            Servers = servers.ToImmutable(),
            RefusedFromClient = refused.ToImmutable(),
            ClientObserved = clientObserved,
            ServerObserved = serverObserved.ToImmutable(),
        };
    }

    /// <summary>A sidecar's admin <c>/stats/prometheus</c>; null, after a warning, when it does not answer.</summary>
    private static async Task<string?> StatsAsync(PodRecord pod, string workload, TextWriter warnings, CancellationToken cancellationToken)
    {
        try
        {
            using var admin = ProxyAdmin.For(pod, TimeSpan.FromSeconds(10));
            return await admin.GetAsync("stats/prometheus", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ProxyAdminException)
        {
            await warnings.WriteLineAsync($"warning: cannot read the counters of {workload}'s sidecar: {e.Message}").ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>The certificate chain and trust bundle a pod's sidecar holds; null when it has none yet.</summary>
    private static ProxyCertificates? Certificates(StateDirectory state, PodRecord pod)
    {
        if (SecretDump.ForPod(state, pod) is not { } dump) return null;
        var chain = Pem.ReadCertificates(dump.ChainPem);
        return chain.Count == 0 ? null : new ProxyCertificates(chain[0], [.. chain.Skip(1)], TrustBundle.FromPem(dump.RootPem));
    }
}
