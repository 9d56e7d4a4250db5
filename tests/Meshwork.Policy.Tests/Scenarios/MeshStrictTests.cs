using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy.Traffic;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Scenarios;

/// <summary>Seed 004: mesh-wide STRICT with a per-workload PERMISSIVE override, called from a namespace without sidecars.</summary>
public class MeshStrictTests
{
    private const string Shop = "hipstershopv1v2";
    private const string FrontendLabel = "app=frontend.hipstershopv1v2.svc.cluster.local";

    internal static List<Resource> Setup()
    {
        var frontendLabels = Labels(FrontendLabel);
        return
        [
            Namespace(Shop, injection: true),
            Namespace("noistio"),
            Deployment(Shop, "frontend", ports: [8080], labels: frontendLabels),
            Service(Shop, "frontend", frontendLabels, Port(8080, "http")),
            Deployment(Shop, "adservice", ports: [9555]),
            Service(Shop, "adservice", Port(9555, "grpc")),
            Deployment("noistio", "sleep"),
        ];
    }

    private static readonly PeerAuthentication MeshStrict = Pa("istio-system", "default", MtlsMode.Strict);
    private static readonly PeerAuthentication FrontendPermissive = Pa(Shop, "frontend", MtlsMode.Permissive, Labels(FrontendLabel));

    private static string FromToolbox(MeshState mesh, string host, int port) => Tutorial.Curl(mesh, "noistio", "sleep", host, port, "/");

    [Fact]
    public void Without_policy_the_toolbox_reaches_the_shop()
        => Assert.Equal("200", FromToolbox(Mesh([.. Setup()]), "frontend.hipstershopv1v2", 8080));

    [Fact]
    public void Mesh_wide_strict_resets_the_toolbox()
        => Assert.Equal("000", FromToolbox(Mesh([.. Setup(), MeshStrict]), "frontend.hipstershopv1v2", 8080));

    [Fact]
    public void Frontend_permissive_lets_the_toolbox_in_and_adservice_still_resets()
    {
        var mesh = Mesh([.. Setup(), MeshStrict, FrontendPermissive]);
        Assert.Equal("200", FromToolbox(mesh, "frontend.hipstershopv1v2", 8080));
        Assert.Equal("000", FromToolbox(mesh, "adservice.hipstershopv1v2", 9555));

        var frontend = Tutorial.Explain(mesh, "noistio", "sleep", "frontend.hipstershopv1v2", 8080, "/");
        Assert.Equal("PERMISSIVE", frontend.ServerMode);
        Assert.Equal("PeerAuthentication hipstershopv1v2/frontend (workload)", frontend.ServerModeSource);
        var adservice = Tutorial.Explain(mesh, "noistio", "sleep", "adservice.hipstershopv1v2", 9555, "/");
        Assert.Equal("STRICT", adservice.ServerMode);
        Assert.Equal("PeerAuthentication istio-system/default (mesh-wide)", adservice.ServerModeSource);
        Assert.Equal(TrafficOutcome.Reset, adservice.Outcome);
    }

    [Fact]
    public void A_client_with_no_deployment_outside_the_mesh_sees_the_same()
    {
        var mesh = Mesh([.. Setup(), MeshStrict, FrontendPermissive]);
        var outside = TrafficExplainer.Explain(mesh, new TrafficQuery { Client = null, ClientNamespace = "default", Host = "adservice.hipstershopv1v2.svc.cluster.local", Port = 9555 });
        Assert.Equal(TrafficOutcome.Reset, outside.Outcome);
        Assert.Equal("NONE", outside.ClientTls);
        Assert.False(outside.ClientHasSidecar);
    }
}
