using System.Text.Json;
using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>Outbound entries are built once for every namespace no DestinationRule sets apart; the one a rule reaches keeps its own.</summary>
public sealed class SharedOutboundTests
{
    private const string HttpbinFoo = "httpbin.foo.svc.cluster.local";

    private static ProxyRegistration Sleep(string ns) => new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = ns,
        Pod = $"sleep-{ns}",
        ServiceAccount = "sleep",
        Labels = Labels(("app", "sleep"), ("security.istio.io/tlsMode", "istio")),
    };

    /// <summary>httpbin in foo behind a sidecar; a DestinationRule in bar, exported to bar alone, turns TLS to it off; baz has none.</summary>
    private static MeshState Mesh() => MeshState.From([
        Service("foo", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
        Pod("foo", "httpbin-a", "httpbin", "127.0.1.10", serviceAccount: "httpbin"),
        Pod("foo", "httpbin-b", "httpbin", "127.0.1.11", serviceAccount: "httpbin"),
        new DestinationRule
        {
            ApiVersion = "networking.istio.io/v1",
            Metadata = Meta("bar", "plaintext-to-foo"),
            Spec = new DestinationRuleSpec
            {
                Host = HttpbinFoo,
                ExportTo = ["."],
                TrafficPolicy = new TrafficPolicy { Tls = new ClientTlsSettings { Mode = ClientTlsMode.Disable } },
            },
        },
    ]);

    [Theory]
    [InlineData("bar", "foo", "baz")]
    [InlineData("foo", "baz", "bar")]
    [InlineData("baz", "bar", "foo")]
    public void Each_namespace_sees_its_own_TLS_to_a_Service_whichever_namespace_is_generated_first(string first, string second, string third)
    {
        var mesh = Mesh();
        var context = new GenerationContext(mesh);
        var snapshots = new[] { first, second, third }.ToDictionary(ns => ns, ns => SnapshotGenerator.Generate(Sleep(ns), context, ["ROOT"]));

        foreach (var (ns, snapshot) in snapshots)
        {
            var alone = SnapshotGenerator.Generate(Sleep(ns), mesh, ["ROOT"]);
            Assert.Equal(JsonSerializer.Serialize(alone, ProtocolJson.Default.ProxySnapshot), JsonSerializer.Serialize(snapshot, ProtocolJson.Default.ProxySnapshot));
        }
        UpstreamTlsMode[] TlsToFoo(string ns) => [.. snapshots[ns].Outbound.Single(o => o.Hostname == HttpbinFoo).Ports.Single().Endpoints.Select(e => e.Tls)];
        Assert.Equal([UpstreamTlsMode.IstioMutual, UpstreamTlsMode.IstioMutual], TlsToFoo("foo"));
        Assert.Equal([UpstreamTlsMode.Disable, UpstreamTlsMode.Disable], TlsToFoo("bar"));
        Assert.Equal([UpstreamTlsMode.IstioMutual, UpstreamTlsMode.IstioMutual], TlsToFoo("baz"));
    }
}
