using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Reliability.Tests.HostileInput;

/// <summary>
/// An impostor with a valid mesh certificate of another identity answers at a service's endpoint: the client
/// sidecar checks the server's identity against the service's (secure naming) and never sends the request.
/// </summary>
public sealed class SecureNamingTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task A_server_with_another_mesh_identity_gets_no_request_and_the_client_sees_503()
    {
        var impostorApp = await _mesh.StartAppAsync("impostor");
        var impostor = await _mesh.StartPodAsync("foo", "impostor", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Permissive), impostorApp.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, ["spiffe://cluster.local/ns/foo/sa/httpbin"], (impostor, 8000));
        var client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);

        var result = await Curl.RunAsync("-x", client.OutboundProxy.ToString(), "http://httpbin.foo:8000/secret");
        Assert.Equal("503", result.HttpCode);
        Assert.Equal(0, impostorApp.Requests("/secret"));
        var stats = await Curl.RunAsync($"{client.Admin}stats/prometheus");
        Assert.Contains("meshwork_tls_handshakes_total{direction=\"outbound\",result=\"failure\",reason=\"secure_naming\"}", stats.Body);
    }
}
