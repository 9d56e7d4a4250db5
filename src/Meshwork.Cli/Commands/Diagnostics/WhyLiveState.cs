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
/// <c>proxy-config secret</c> shows) and the connections each endpoint's sidecar refused from the
/// address the client's connections come from (its admin <c>/stats/prometheus</c>), as the runtime records
/// it: in loopback mode a client without a sidecar calls through its namespace's network proxy. A proxy
/// that does not answer is a warning: the diagnosis then rests on the policies alone.
/// </summary>
internal static class WhyLiveState
{
    public static async Task<LiveCallState> CollectAsync(
        StateDirectory state, PodRecord? client, TrafficExplanation explanation, TextWriter warnings, CancellationToken cancellationToken)
    {
        var servers = ImmutableDictionary.CreateBuilder<string, ProxyCertificates>();
        var refused = ImmutableDictionary.CreateBuilder<string, ImmutableArray<RefusedConnections>>();
        foreach (var endpoint in explanation.Endpoints.Where(e => e.HasSidecar))
        {
            var slash = endpoint.Workload.IndexOf('/', StringComparison.Ordinal);
            var pod = PodRecord.List(state, endpoint.Workload[..slash]).FirstOrDefault(p => p.Name == endpoint.Workload[(slash + 1)..] && !p.Terminating);
            if (pod is null) continue;
            if (Certificates(state, pod) is { } held) servers[endpoint.Workload] = held;
            if (client is null) continue;
            try
            {
                using var admin = ProxyAdmin.For(pod, TimeSpan.FromSeconds(10));
                refused[endpoint.Workload] = RefusalMetrics.From(await admin.GetAsync("stats/prometheus", cancellationToken).ConfigureAwait(false), client.ConnectsFrom);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ProxyAdminException)
            {
                await warnings.WriteLineAsync($"warning: cannot read the refused connections of {endpoint.Workload}: {e.Message}").ConfigureAwait(false);
            }
        }
        return new LiveCallState
        {
            Now = DateTimeOffset.UtcNow,
            ClientAddress = client?.ConnectsFrom,
            Client = client is null ? null : Certificates(state, client),
            Servers = servers.ToImmutable(),
            RefusedFromClient = refused.ToImmutable(),
        };
    }

    /// <summary>The certificate chain and trust bundle a pod's sidecar holds; null when it has none yet.</summary>
    private static ProxyCertificates? Certificates(StateDirectory state, PodRecord pod)
    {
        if (SecretDump.ForPod(state, pod) is not { } dump) return null;
        var chain = Pem.ReadCertificates(dump.ChainPem);
        return chain.Count == 0 ? null : new ProxyCertificates(chain[0], [.. chain.Skip(1)], TrustBundle.FromPem(dump.RootPem));
    }
}
