using System.Net;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// A way an HTTP/1.1 request enters a sidecar on its own sockets, in front of a <see cref="RecordingHttpApp"/>:
/// one subclass per entry path, so every codec behaviour is asserted on each of them alike.
/// </summary>
public abstract class Http1Entry : IAsyncLifetime
{
    protected Mesh Mesh { get; } = new();
    protected RecordingHttpApp App { get; } = new();
    /// <summary>Where a client connects to send requests that end up at <see cref="App"/>.</summary>
    protected IPEndPoint Entry { get; private set; } = null!;
    private IAsyncDisposable? _owned;

    protected abstract Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort);

    public async Task InitializeAsync() => (Entry, _owned) = await StartAsync(Mesh, App.Port);

    public async Task DisposeAsync()
    {
        if (_owned is not null) await _owned.DisposeAsync();
        await Mesh.DisposeAsync();
        await App.DisposeAsync();
    }

    /// <summary>httpbin.foo's sidecar: its inbound HTTP/1.1 relay on a PERMISSIVE port, reached in plaintext.</summary>
    internal static async Task<(IPEndPoint, IAsyncDisposable?)> InboundRelayAsync(Mesh mesh, int appPort)
    {
        var pod = await mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), appPort)]);
        return (new IPEndPoint(IPAddress.Parse(pod.Ip), pod.InboundPort(8000)), null);
    }

    /// <summary>sleep.foo's sidecar: its fixed outbound listener for httpbin.foo:8000, whose one endpoint is the app in plaintext.</summary>
    internal static async Task<(IPEndPoint, IAsyncDisposable?)> FixedListenerAsync(Mesh mesh, int appPort)
    {
        var (client, listen) = await FixedListenerChain.StartClientAsync(mesh, PlaintextHttpbin(appPort), http2: false);
        return (listen, client);
    }

    /// <summary>
    /// sleep.foo's sidecar: its http_proxy listener (:15001), which routes each request by its Host (origin-form,
    /// as the shapes are written) or its absolute-form target to httpbin.foo:8000, the app in plaintext.
    /// </summary>
    internal static async Task<(IPEndPoint, IAsyncDisposable?)> HttpProxyListenerAsync(Mesh mesh, int appPort)
    {
        var pod = await mesh.StartPodAsync("foo", "sleep", outbound: [PlaintextHttpbin(appPort)]);
        return (pod.Proxy.OutboundEndPoint, null);
    }

    private static OutboundService PlaintextHttpbin(int appPort)
    {
        var service = new OutboundService
        {
            Name = "httpbin",
            Namespace = "foo",
            Hostname = "httpbin.foo.svc.cluster.local",
            Ports =
            [
                new OutboundPort
                {
                    Port = 8000, Name = "http", Protocol = "http", AcceptedIdentities = [],
                    Endpoints = [new UpstreamEndpoint
                    {
                        Address = "127.0.0.1", Port = appPort, Tls = UpstreamTlsMode.Disable,
                        Pod = "httpbin-pod", Workload = "httpbin", Namespace = "foo", ServiceAccount = "httpbin",
                    }],
                },
            ],
        };
        return service;
    }
}
