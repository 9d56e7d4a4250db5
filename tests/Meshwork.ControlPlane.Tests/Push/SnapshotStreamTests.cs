using System.Net;
using System.Net.Http.Json;
using Meshwork.ControlPlane.Registry;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Push;

/// <summary>A test proxy on HTTP/2 + mTLS against the real endpoints: the push contract end to end.</summary>
public sealed class SnapshotStreamTests
{
    private static readonly ProxyRegistration Httpbin = new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = "foo",
        Pod = "httpbin-1",
        Workload = "httpbin",
        ServiceAccount = "httpbin",
        PodIp = "127.0.1.10",
        Labels = Labels(("app", "httpbin"), ("security.istio.io/tlsMode", "istio")),
        Ports = [8080],
    };

    private static MeshState Seed() => MeshState.From([
        Service("foo", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
        Pod("foo", "httpbin-1", "httpbin", "127.0.1.10", serviceAccount: "httpbin", ports: new ContainerPort { Port = 8080 }),
    ]);

    private static PeerAuthentication NamespaceStrict() => new()
    {
        ApiVersion = "security.istio.io/v1beta1",
        Metadata = Meta("foo", "default"),
        Spec = new PeerAuthenticationSpec { Mode = MtlsMode.Strict },
    };

    [Fact]
    public async Task A_proxy_gets_a_new_snapshot_after_a_STRICT_PeerAuthentication_is_applied()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());
        var cert = await server.EnrollAsync("foo", "httpbin");
        await using var stream = await TestStream.OpenAsync(server.Client(cert), Httpbin);
        Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
        Assert.Equal(new Version(2, 0), stream.Response.Version);

        var first = await stream.NextAsync(Guard.Token);
        Assert.Equal(InboundTlsMode.Permissive, Assert.Single(first.Snapshot.Inbound).Mode);
        await stream.AckAsync(first);

        server.Mesh.Update(mesh => mesh with { PeerAuthentications = [NamespaceStrict()] });

        var second = await stream.NextAsync(Guard.Token);
        Assert.NotEqual(first.Snapshot.Version, second.Snapshot.Version);
        Assert.NotEqual(first.Nonce, second.Nonce);
        Assert.Equal(InboundTlsMode.Strict, Assert.Single(second.Snapshot.Inbound).Mode);
        await stream.AckAsync(second);

        using var admin = server.AdminClient();
        var rows = await admin.GetFromJsonAsync(ProxyStatus.StatusPath, RegistryJson.Default.ProxyStatusArray, Guard.Token);
        var row = Assert.Single(rows!);
        Assert.Equal(("httpbin-1.foo", "SYNCED", second.Snapshot.Version), (row.Id, row.Status, row.AckedVersion));
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/httpbin", row.Identity);
    }

    [Fact]
    public async Task A_change_that_does_not_touch_the_proxy_sends_nothing_and_the_next_real_change_arrives()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());
        var cert = await server.EnrollAsync("foo", "httpbin");
        await using var stream = await TestStream.OpenAsync(server.Client(cert), Httpbin);
        var first = await stream.NextAsync(Guard.Token);

        // A ServiceAccount nobody uses changes the mesh but not this proxy's snapshot ...
        server.Mesh.Update(mesh => mesh with { ServiceAccounts = [new ServiceAccount { ApiVersion = "v1", Metadata = Meta("bar", "unused") }] });
        // ... so the next line on the stream is the STRICT change, not a copy of the first snapshot.
        server.Mesh.Update(mesh => mesh with { PeerAuthentications = [NamespaceStrict()] });

        var next = await stream.NextAsync(Guard.Token);
        Assert.Equal(InboundTlsMode.Strict, Assert.Single(next.Snapshot.Inbound).Mode);
        Assert.Equal("2", next.Nonce);
        Assert.NotEqual(first.Snapshot.Version, next.Snapshot.Version);
    }

    [Fact]
    public async Task A_proxy_that_reconnects_with_its_current_version_is_not_sent_it_again()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());
        var cert = await server.EnrollAsync("foo", "httpbin");
        string version;
        await using (var stream = await TestStream.OpenAsync(server.Client(cert), Httpbin))
        {
            version = (await stream.NextAsync(Guard.Token)).Snapshot.Version;
        }

        await using var again = await TestStream.OpenAsync(server.Client(cert), Httpbin with { CurrentVersion = version });
        server.Mesh.Update(mesh => mesh with { PeerAuthentications = [NamespaceStrict()] });

        var next = await again.NextAsync(Guard.Token);
        Assert.NotEqual(version, next.Snapshot.Version);
        Assert.Equal(InboundTlsMode.Strict, Assert.Single(next.Snapshot.Inbound).Mode);
    }

    [Fact]
    public async Task A_NACK_shows_in_the_proxy_list_with_its_reason()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());
        var cert = await server.EnrollAsync("foo", "httpbin");
        await using var stream = await TestStream.OpenAsync(server.Client(cert), Httpbin);
        var first = await stream.NextAsync(Guard.Token);

        await stream.AckAsync(first, error: "inbound port 8080 is already in use");

        using var admin = server.AdminClient();
        var row = Assert.Single((await admin.GetFromJsonAsync(ProxyStatus.StatusPath, RegistryJson.Default.ProxyStatusArray, Guard.Token))!);
        Assert.Equal(("NACK", "inbound port 8080 is already in use"), (row.Status, row.NackError));
    }

    [Fact]
    public async Task A_stream_without_a_client_certificate_is_refused_401()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());

        await using var stream = await TestStream.OpenAsync(server.Client(), Httpbin);

        Assert.Equal(HttpStatusCode.Unauthorized, stream.Response.StatusCode);
    }

    [Fact]
    public async Task A_sidecar_cannot_register_as_a_workload_of_another_identity()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());
        var sleepCert = await server.EnrollAsync("foo", "sleep");

        await using var stream = await TestStream.OpenAsync(server.Client(sleepCert), Httpbin);

        Assert.Equal(HttpStatusCode.Forbidden, stream.Response.StatusCode);
        using var admin = server.AdminClient();
        Assert.Empty((await admin.GetFromJsonAsync(ProxyStatus.StatusPath, RegistryJson.Default.ProxyStatusArray, Guard.Token))!);
    }

    [Fact]
    public async Task Another_identity_cannot_ack_for_a_proxy()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());
        var httpbinCert = await server.EnrollAsync("foo", "httpbin");
        var sleepCert = await server.EnrollAsync("foo", "sleep");
        await using var stream = await TestStream.OpenAsync(server.Client(httpbinCert), Httpbin);
        var first = await stream.NextAsync(Guard.Token);

        using var sleep = server.Client(sleepCert);
        using var response = await sleep.PostAsJsonAsync(ControlPlanePaths.Acks,
            new SnapshotAck { ProxyId = "httpbin-1.foo", Version = first.Snapshot.Version, Nonce = first.Nonce },
            Meshwork.ProxyProtocol.ProtocolJson.Default.SnapshotAck, Guard.Token);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task The_proxy_list_needs_the_admin_token()
    {
        await using var server = await ProxyServerFixture.StartAsync(Seed());
        using var anonymous = server.Client();

        using var response = await anonymous.GetAsync(ProxyStatus.StatusPath, Guard.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
