using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using System.Text.Json;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Generation;

public sealed class GenerationContextTests
{
    private static ProxyRegistration Sidecar(string ns, string pod) => new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = ns,
        Pod = pod,
        ServiceAccount = "sleep",
        Labels = Labels(("app", "sleep"), ("security.istio.io/tlsMode", "istio")),
    };

    [Fact]
    public void Sharing_a_context_between_proxies_gives_the_snapshots_each_would_get_alone()
    {
        var mesh = MeshState.From([
            Service("foo", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
            Pod("foo", "httpbin-a", "httpbin", "127.0.1.10", serviceAccount: "httpbin"),
            Service("legacy", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
            Pod("legacy", "httpbin-b", "httpbin", "127.0.3.10", sidecar: false),
            new DestinationRule
            {
                ApiVersion = "networking.istio.io/v1",
                Metadata = Meta("bar", "plaintext-to-foo"),
                Spec = new DestinationRuleSpec
                {
                    Host = "httpbin.foo.svc.cluster.local",
                    ExportTo = ["."],
                    TrafficPolicy = new TrafficPolicy { Tls = new ClientTlsSettings { Mode = ClientTlsMode.Disable } },
                },
            },
        ]);
        var shared = new GenerationContext(mesh);

        foreach (var proxy in new[] { Sidecar("foo", "sleep-1"), Sidecar("bar", "sleep-2"), Sidecar("foo", "sleep-3") })
        {
            var alone = SnapshotGenerator.Generate(proxy, mesh, ["ROOT"]);
            var together = SnapshotGenerator.Generate(proxy, shared, ["ROOT"]);
            Assert.Equal(JsonSerializer.Serialize(alone, ProtocolJson.Default.ProxySnapshot), JsonSerializer.Serialize(together, ProtocolJson.Default.ProxySnapshot));
        }
        // The DestinationRule is visible to bar only, so the two namespaces do see httpbin.foo differently.
        var foo = SnapshotGenerator.Generate(Sidecar("foo", "sleep-1"), shared, ["ROOT"]);
        var bar = SnapshotGenerator.Generate(Sidecar("bar", "sleep-2"), shared, ["ROOT"]);
        UpstreamTlsMode TlsToFoo(ProxySnapshot s) => s.Outbound.Single(o => o.Hostname == "httpbin.foo.svc.cluster.local").Ports.Single().Endpoints.Single().Tls;
        Assert.Equal((UpstreamTlsMode.IstioMutual, UpstreamTlsMode.Disable), (TlsToFoo(foo), TlsToFoo(bar)));
    }
}
