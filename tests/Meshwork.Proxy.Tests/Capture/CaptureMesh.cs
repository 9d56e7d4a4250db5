using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Runtime.Network;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// Three pods on one pod network, as seed 003 lays them out: <c>sleep</c> (a client with a sidecar and capture),
/// <c>httpbin</c> (STRICT, with capture: HTTP on 8000, TCP echo on 9000 declared; HTTP on 7000 that no Service
/// declares) and <c>outside</c> (no sidecar: HTTP on 8080, a non-mesh address). The Service httpbin.foo has a
/// clusterIP; its endpoints are podIP:containerPort. Sidecars run from snapshot files, as processes in their pods.
/// </summary>
public sealed class CaptureMesh : IAsyncLifetime
{
    public const int HttpPort = 8000, TcpPort = 9000, UndeclaredPort = 7000, OutsidePort = 8080, MetricsPort = 15090;
    private readonly List<IAsyncDisposable> _proxies = [];
    private readonly List<IDisposable> _owned = [];
    private Mesh _files = null!;

    public PodNetwork Network { get; private set; } = null!;
    public PodNamespace Sleep { get; private set; } = null!;
    public PodNamespace Httpbin { get; private set; } = null!;
    public PodNamespace Outside { get; private set; } = null!;
    public PodApp HttpbinHttp { get; private set; } = null!;
    public PodApp HttpbinUndeclared { get; private set; } = null!;
    public ProxyProcess SleepProxy { get; private set; } = null!;
    public ProxyProcess HttpbinProxy { get; private set; } = null!;
    public string ClusterIp => Network.ServiceIp(10);

    public async Task InitializeAsync()
    {
        if (PodNetwork.SkipReason is not null) return;
        try { await StartAsync(); }
        catch
        {
            // xunit does not dispose a fixture that failed to start: leave no namespace behind.
            await DisposeAsync();
            throw;
        }
    }

    private async Task StartAsync()
    {
        _files = new Mesh();
        Network = new PodNetwork();
        Sleep = Network.AddPod("sleep");
        Httpbin = Network.AddPod("httpbin");
        Outside = Network.AddPod("outside");
        Network.Capture(Sleep);
        Network.Capture(Httpbin);

        HttpbinHttp = Own(PodApp.Http(Httpbin, HttpPort));
        Own(PodApp.TcpEcho(Httpbin, TcpPort));
        HttpbinUndeclared = Own(PodApp.Http(Httpbin, UndeclaredPort));
        Own(PodApp.Http(Outside, OutsidePort));

        var httpbinSnapshot = _files.Snapshot("foo", "httpbin", ProxyRole.Sidecar,
            [Mesh.Inbound(HttpPort, InboundTlsMode.Strict), Mesh.Inbound(TcpPort, InboundTlsMode.Strict, "tcp")], []) with
        {
            InboundPassthrough = Mesh.Inbound(0, InboundTlsMode.Strict, "tcp") with { Services = [] },
        };
        HttpbinProxy = await StartProxyAsync(Httpbin, "httpbin", httpbinSnapshot, $"{HttpPort}=127.0.0.1:{HttpPort},{TcpPort}=127.0.0.1:{TcpPort}");

        string[] httpbinIdentity = [$"spiffe://cluster.local/ns/foo/sa/httpbin"];
        var service = Mesh.Service("httpbin", "foo", HttpPort, UpstreamTlsMode.IstioMutual, httpbinIdentity) with
        {
            ClusterIp = ClusterIp,
            Ports = [Port(HttpPort, "http"), Port(TcpPort, "tcp")],
        };
        var sleepSnapshot = _files.Snapshot("foo", "sleep", ProxyRole.Sidecar, [], [service]) with
        {
            InboundPassthrough = Mesh.Inbound(0, InboundTlsMode.Permissive, "tcp") with { Services = [] },
        };
        SleepProxy = await StartProxyAsync(Sleep, "sleep", sleepSnapshot, "");

        OutboundPort Port(int port, string protocol) => new()
        {
            Port = port, Name = protocol, Protocol = protocol, AcceptedIdentities = [.. httpbinIdentity],
            Endpoints =
            [
                new UpstreamEndpoint
                {
                    Address = Httpbin.Ip, Port = port, Tls = UpstreamTlsMode.IstioMutual,
                    Pod = "httpbin-pod", Workload = "httpbin", Namespace = "foo", ServiceAccount = "httpbin", App = "httpbin", Version = "v1",
                },
            ],
        };
    }

    private T Own<T>(T owned) where T : IDisposable
    {
        _owned.Add(owned);
        return owned;
    }

    private async Task<ProxyProcess> StartProxyAsync(PodNamespace pod, string serviceAccount, ProxySnapshot snapshot, string inboundPorts)
    {
        var dir = _files.Path_(serviceAccount);
        var certDir = Path.Combine(dir, "certs");
        _files.Ca.IssueWorkload("foo", serviceAccount).WriteTo(certDir);
        var snapshotFile = Path.Combine(dir, "snapshot.json");
        await File.WriteAllTextAsync(snapshotFile, JsonSerializer.Serialize(snapshot, ProtocolJson.Default.ProxySnapshot));
        var proxy = await ProxyProcess.StartCaptureSidecarAsync(pod, "foo", serviceAccount, snapshotFile, certDir, inboundPorts);
        _proxies.Add(proxy);
        return proxy;
    }

    /// <summary>One HTTP/1.1 request from inside <paramref name="from"/> (as root: not captured) to ip:port; the whole answer, or "" when the connection was reset.</summary>
    public static async Task<string> RawGetAsync(PodNamespace from, string ip, int port, string path)
    {
        try
        {
            using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            using var socket = await NetworkNamespaceSockets.ConnectAsync(from.NamespacePath, new IPEndPoint(IPAddress.Parse(ip), port), connect.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {ip}:{port}\r\nConnection: close\r\n\r\n"));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var answer = new MemoryStream();
            var buffer = new byte[16 * 1024];
            int read;
            while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token)) > 0) answer.Write(buffer, 0, read);
            return Encoding.UTF8.GetString(answer.ToArray());
        }
        catch (SocketException) { return ""; }
    }

    public async Task DisposeAsync()
    {
        foreach (var proxy in _proxies) await proxy.DisposeAsync();
        foreach (var owned in _owned) owned.Dispose();
        (Network as IDisposable)?.Dispose();
        if (_files is not null) await _files.DisposeAsync();
    }
}
