using System.Net.Security;
using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using Meshwork.CertificateAuthority;
using Meshwork.Identity;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

/// <summary>
/// <see cref="SyntheticTraffic"/>'s sidecars as the control plane sees them: each holds its snapshot stream with a
/// certificate of the mesh's CA for its own identity, and registers a metrics address where it serves its exposition,
/// counters growing with the seconds since start. The expositions come from one Kestrel listening on a port per
/// sidecar on 127.0.0.1, which tells the sidecars apart by the port a scrape arrives on.
/// </summary>
internal sealed class SyntheticSidecars : IAsyncDisposable
{
    private readonly WebApplication _metrics;
    private readonly List<SimulatedProxy> _proxies;

    private SyntheticSidecars(WebApplication metrics, List<SimulatedProxy> proxies) => (_metrics, _proxies) = (metrics, proxies);

    public static async Task<SyntheticSidecars> StartAsync(Uri controlPlane, CertificateAuthority ca)
    {
        var started = Stopwatch.StartNew();
        var byPort = FrozenDictionary<int, int>.Empty;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            for (var i = 0; i < SyntheticTraffic.Workloads; i++) kestrel.Listen(IPAddress.Loopback, 0);
        });
        var metrics = builder.Build();
        metrics.MapGet("/stats/prometheus", (HttpContext c) => byPort.TryGetValue(c.Connection.LocalPort, out var workload)
            ? Results.Text(SyntheticTraffic.Exposition(workload, (long)started.Elapsed.TotalSeconds), "text/plain; version=0.0.4")
            : Results.NotFound());
        await metrics.StartAsync();
        // Workload i serves on the i-th port: the port tells the handler whose exposition to write.
        var ports = metrics.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a).Port).Order().ToArray();
        byPort = ports.Select((port, workload) => (port, workload)).ToFrozenDictionary(p => p.port, p => p.workload);

        var proxies = new List<SimulatedProxy>();
        for (var i = 0; i < SyntheticTraffic.Workloads; i++)
        {
            var identity = new SpiffeId("cluster.local", SyntheticTraffic.Namespace(i), SyntheticTraffic.Name(i));
            var (key, csr) = CsrFactory.Create(identity);
            var leaf = WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, identity), ca.TrustBundle).Leaf;
            proxies.Add(new SimulatedProxy(controlPlane, SslStreamCertificateContext.Create(leaf, additionalCertificates: null, offline: true), ca.TrustBundle, Registration(i, $"127.0.0.1:{ports[i]}")));
        }
        // A few TLS handshakes at a time, as the push benchmark connects: the subject is the dashboard, not a storm.
        using var handshakes = new SemaphoreSlim(16);
        await Task.WhenAll(proxies.Select(async p =>
        {
            await handshakes.WaitAsync();
            try { await p.ConnectAsync(); }
            finally { handshakes.Release(); }
        }));
        return new SyntheticSidecars(metrics, proxies);
    }

    private static ProxyRegistration Registration(int workload, string metricsAddress) => new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = SyntheticTraffic.Namespace(workload),
        Pod = $"{SyntheticTraffic.Name(workload)}-0",
        Workload = SyntheticTraffic.Name(workload),
        ServiceAccount = SyntheticTraffic.Name(workload),
        PodIp = "127.0.0.1",
        MetricsAddress = metricsAddress,
        Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [new KeyValuePair<string, string>("app", SyntheticTraffic.Name(workload)), new("security.istio.io/tlsMode", "istio")]),
        Ports = [8080],
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var proxy in _proxies) await proxy.DisposeAsync();
        await _metrics.StopAsync();
        await _metrics.DisposeAsync();
    }
}
