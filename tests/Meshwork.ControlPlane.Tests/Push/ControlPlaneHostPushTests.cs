using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Registry;
using Meshwork.Identity;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.DependencyInjection;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Push;

/// <summary>
/// The whole path on the real control plane (<see cref="ControlPlaneHost"/>): configuration
/// applied through the config API reaches a connected proxy as a new snapshot.
/// </summary>
public sealed class ControlPlaneHostPushTests
{
    [Fact]
    public async Task A_STRICT_PeerAuthentication_applied_through_the_config_API_reaches_the_connected_sidecar()
    {
        var root = Directory.CreateTempSubdirectory("meshwork-host-push-").FullName;
        try
        {
            await using var server = await ControlPlaneHost.StartAsync(new ControlPlaneOptions
            {
                StateDirectory = new StateDirectory(root),
                Port = 0,
                ConfigureLogging = logging => { },
            }, Guard.Token);
            using var api = MeshApiClient.FromStateDirectory(server.StateDirectory);
            await api.ApplyAsync([
                new Namespace { ApiVersion = "v1", Metadata = new ObjectMeta { Name = "foo" } },
                Service("foo", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
            ], Guard.Token);

            var trust = server.Services.GetRequiredService<CertificateAuthority.CertificateAuthority>().TrustBundle;
            var token = await api.CreateBootstrapTokenAsync("foo", "httpbin", Guard.Token);
            var cert = await ProxyServerFixture.EnrollAsync(ProxyServerFixture.MeshClient(server.Url, trust), token.Token, new SpiffeId("cluster.local", "foo", "httpbin"));
            await using var stream = await TestStream.OpenAsync(ProxyServerFixture.MeshClient(server.Url, trust, cert), new ProxyRegistration
            {
                Role = ProxyRole.Sidecar,
                Namespace = "foo",
                Pod = "httpbin-1",
                ServiceAccount = "httpbin",
                Labels = Labels(("app", "httpbin")),
                Ports = [8080],
            });
            Assert.Equal(HttpStatusCode.OK, stream.Response.StatusCode);
            var first = await stream.NextAsync(Guard.Token);
            var inbound = Assert.Single(first.Snapshot.Inbound);
            Assert.Equal((InboundTlsMode.Permissive, "httpbin.foo.svc.cluster.local"), (inbound.Mode, Assert.Single(inbound.Services)));
            await stream.AckAsync(first);

            await api.ApplyAsync([new PeerAuthentication
            {
                ApiVersion = "security.istio.io/v1beta1",
                Metadata = Meta("foo", "default"),
                Spec = new PeerAuthenticationSpec { Mode = MtlsMode.Strict },
            }], Guard.Token);

            var second = await stream.NextAsync(Guard.Token);
            Assert.Equal(InboundTlsMode.Strict, Assert.Single(second.Snapshot.Inbound).Mode);
            await stream.AckAsync(second);

            var rows = JsonSerializer.Deserialize(await api.SendAsync(HttpMethod.Get, ProxyStatus.StatusPath, null, Guard.Token), RegistryJson.Default.ProxyStatusArray)!;
            var row = Assert.Single(rows);
            Assert.Equal(("httpbin-1.foo", "SYNCED", second.Snapshot.Version), (row.Id, row.Status, row.SentVersion));
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }
}
