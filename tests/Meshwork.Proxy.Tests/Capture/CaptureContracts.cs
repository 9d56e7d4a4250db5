using System.Globalization;
using System.Net;
using System.Text.Json;
using Meshwork.Proxy.Tests.Contract;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// Outbound through transparent capture (Istio's virtualOutbound, :15001): an app in sleep.foo's pod, with no
/// http_proxy, dials the Service's clusterIP at the port its Host names (80 when none); iptables redirects it to the
/// sidecar, which finds the original destination with SO_ORIGINAL_DST. The server sidecars listen on this host's
/// address on the pods' bridge.
/// </summary>
public sealed class TransparentOutboundContract(ContractPodNetwork network) : EntryPathContract, IClassFixture<ContractPodNetwork>
{
    private readonly OneSidecarPerPod _pod = new();

    protected override string? ServerIp => network.HostIp;

    protected override async Task<IEntryPath> OpenAsync(ContractChain chain)
    {
        await _pod.ReplaceAsync();
        var files = chain.Mesh.Path_($"capture-client-{Guid.NewGuid():n}");
        var certs = Path.Combine(files, "certs");
        chain.ClientCredentials.WriteTo(certs);
        var snapshot = chain.Mesh.Snapshot("foo", "sleep", ProxyRole.Sidecar, [], [chain.Service with { ClusterIp = network.ClusterIp }]) with
        {
            HttpRoutes = [.. chain.Routes],
            InboundPassthrough = Mesh.Inbound(0, InboundTlsMode.Permissive, "tcp") with { Services = [] },
        };
        var snapshotFile = Path.Combine(files, "snapshot.json");
        await File.WriteAllTextAsync(snapshotFile, JsonSerializer.Serialize(snapshot, ProtocolJson.Default.ProxySnapshot));
        var proxy = _pod.Set(await ProxyProcess.StartCaptureSidecarAsync(network.Client, "foo", "sleep", snapshotFile, certs, ""));
        return new Entry(network, proxy);
    }

    private sealed class Entry(ContractPodNetwork network, ProxyProcess proxy) : IEntryPath
    {
        public Uri? SourceAdmin => ProxyProcess.MetricsOf(network.Client);

        /// <summary>What the app dials: the clusterIP, at the Host's port (80 for a bare host, as a URL without one).</summary>
        private string Url(ContractRequest request)
        {
            var colon = request.Host.LastIndexOf(':');
            var port = colon < 0 ? 80 : int.Parse(request.Host[(colon + 1)..], CultureInfo.InvariantCulture);
            return $"http://{network.ClusterIp}:{port}{request.Path}";
        }

        public Task<ContractResponse> SendAsync(ContractRequest request) =>
            CurlRequest.SendAsync(PodNetwork.AppLauncher(network.Client), request, Url(request), "-H", $"Host: {request.Host}");

        public Task SendManyAsync(ContractRequest request, int count) =>
            CurlRequest.SendManyAsync(PodNetwork.AppLauncher(network.Client), request, count, Url(request), "-H", $"Host: {request.Host}");

        public ValueTask DisposeAsync() => proxy.DisposeAsync();
    }
}

/// <summary>
/// Inbound through capture (Istio's virtualInbound, :15006): the mesh client dials httpbin.foo's pod at its workload
/// port; iptables redirects the connection to the sidecar, whose original destination port picks the port's pipeline.
/// The sidecar runs in its pod from the chain's server snapshot and certificate; the app listens on this host's
/// address on the pods' bridge.
/// </summary>
public sealed class InboundCaptureContract(ContractPodNetwork network) : InboundEntryPathContract, IClassFixture<ContractPodNetwork>
{
    private readonly OneSidecarPerPod _pod = new();

    protected override IPAddress AppAddress => network.HostAddress;

    protected override async Task<IEntryPath> OpenAsync(ContractChain chain)
    {
        await _pod.ReplaceAsync();
        var server = chain.Server;
        var ports = string.Join(',', server.Proxy.Options.Inbound.Select(t => $"{t.WorkloadPort}={network.HostIp}:{t.AppPort}"));
        var proxy = _pod.Set(await ProxyProcess.StartCaptureSidecarAsync(network.Server, server.Namespace, server.ServiceAccount,
            Path.Combine(server.Directory, "snapshot.json"), Path.Combine(server.Directory, "certs"), ports));
        var workload = new IPEndPoint(network.Server.Address, server.InboundPort(8000));
        return new InboundHttp1Entry(chain, workload, ProxyProcess.MetricsOf(network.Server), proxy);
    }
}

/// <summary>
/// A pod has one sidecar: a test that opens its path a second time (a chain of another shape) stops the pod's first
/// sidecar before it starts the next, which binds the same ports.
/// </summary>
internal sealed class OneSidecarPerPod
{
    private ProxyProcess? _current;

    public async Task ReplaceAsync()
    {
        if (_current is { } previous) await previous.DisposeAsync();
        _current = null;
    }

    public ProxyProcess Set(ProxyProcess proxy) => _current = proxy;
}
