using System.Net;
using System.Net.Http.Json;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.ControlPlane.Tests.Push;

public sealed class AckBodyTests
{
    private static HttpRequestMessage Ack(string? error) => new(HttpMethod.Post, ControlPlanePaths.Acks)
    {
        Content = JsonContent.Create(new SnapshotAck { ProxyId = "web-a.foo", Version = "v1", Nonce = "n1", Error = error }, ProtocolJson.Default.SnapshotAck),
        Version = HttpVersion.Version20,
        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
    };

    [Fact]
    public async Task An_ack_over_the_bound_is_refused_413_and_a_bounded_reason_is_read()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        var cert = await server.EnrollAsync("foo", "web");
        using var client = server.Client(cert);
        var reason = new string('x', 200_000);

        using var tooLarge = await client.SendAsync(Ack(reason), Guard.Token);
        // What a proxy sends: the same reason, cut; read, and answered for the proxy (which has no stream open here).
        using var bounded = await client.SendAsync(Ack(SnapshotAck.BoundedError(reason)), Guard.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Contains($"at most {SnapshotAck.MaxBytes} bytes", await tooLarge.Content.ReadAsStringAsync(Guard.Token), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, bounded.StatusCode);
    }

    [Fact]
    public void A_reason_is_cut_to_the_bound_and_says_so()
    {
        var cut = SnapshotAck.BoundedError(new string('x', SnapshotAck.MaxErrorLength + 1))!;

        Assert.True(cut.Length <= SnapshotAck.MaxErrorLength);
        Assert.EndsWith("(reason cut)", cut, StringComparison.Ordinal);
        Assert.Equal("short", SnapshotAck.BoundedError("short"));
        Assert.Null(SnapshotAck.BoundedError(null));
    }
}
