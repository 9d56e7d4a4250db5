using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Outbound;

/// <summary>The plain network for pods without a sidecar (kube-proxy + cluster DNS stand-in): what sleep.legacy sees in the tutorials.</summary>
public sealed class NetworkRoleTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private async Task<Pod> LegacyClientToAsync(InboundTlsMode mode)
    {
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, mode), _app.Port)]);
        // Auto mTLS would mark this endpoint ISTIO_MUTUAL; the network role must send plaintext regardless.
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, ["spiffe://cluster.local/ns/foo/sa/httpbin"], (server, 8000));
        return await _mesh.StartPodAsync("legacy", "sleep", outbound: [service], role: ProxyRole.Network);
    }

    [Fact]
    public async Task A_pod_without_sidecar_calling_a_strict_server_gets_a_reset_000_and_curl_exit_56()
    {
        var legacy = await LegacyClientToAsync(InboundTlsMode.Strict);
        var result = await Curl.RunAsync("-x", legacy.OutboundProxy.ToString(), "http://httpbin.foo:8000/ip");
        Assert.Equal("000", result.HttpCode);
        Assert.Equal(56, result.ExitCode);
    }

    [Fact]
    public async Task A_pod_without_sidecar_calling_a_permissive_server_gets_200_in_plaintext()
    {
        var legacy = await LegacyClientToAsync(InboundTlsMode.Permissive);
        var result = await Curl.RunAsync("-x", legacy.OutboundProxy.ToString(), "http://httpbin.foo:8000/headers");
        Assert.Equal("200", result.HttpCode);
        Assert.DoesNotContain("x-forwarded-client-cert", result.Body);
    }

    [Fact]
    public async Task The_network_proxy_is_ready_without_any_certificate()
    {
        var legacy = await LegacyClientToAsync(InboundTlsMode.Permissive);
        var ready = await Curl.RunAsync($"{legacy.Admin}ready");
        Assert.Equal("200", ready.HttpCode);
    }
}
