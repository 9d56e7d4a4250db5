using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Inbound;

/// <summary>AuthorizationPolicy as the server sidecar executes it (ISTIO-SEMANTICS §4.1).</summary>
public sealed class AuthorizationTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task An_http_deny_is_a_403_with_Istios_body_and_other_requests_pass()
    {
        var deny = new AuthzPolicy
        {
            Name = "foo/deny-headers", Action = AuthzAction.Deny,
            Rules = [new AuthzRule { From = [new AuthzSource { Principals = ["cluster.local/ns/foo/sa/sleep"] }], To = [new AuthzOperation { Paths = ["/headers"] }] }],
        };
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict, "http", deny), _app.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, ["spiffe://cluster.local/ns/foo/sa/httpbin"], (server, 8000));
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);

        var denied = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/headers");
        Assert.Equal("403", denied.HttpCode);
        Assert.Equal("RBAC: access denied", denied.Body.Trim());
        var allowed = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/ip");
        Assert.Equal("200", allowed.HttpCode);
    }

    [Fact]
    public async Task Allow_nothing_denies_plaintext_and_mtls_alike()
    {
        var allowNothing = new AuthzPolicy { Name = "foo/allow-nothing", Action = AuthzAction.Allow };
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive, "http", allowNothing), _app.Port)]);
        var plain = await Curl.RunAsync($"http://{server.Ip}:{server.InboundPort(8000)}/ip");
        Assert.Equal("403", plain.HttpCode);
        var mtls = await MeshClient.GetAsync(server.Ip, server.InboundPort(8000), _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle, "/ip");
        Assert.StartsWith("HTTP/1.1 403", mtls);
    }
}
