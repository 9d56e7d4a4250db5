using Meshwork.Generation.Hashing;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Generation;

public sealed class GenerationInputsTests
{
    private static readonly ProxyRegistration Sidecar = new() { Role = ProxyRole.Sidecar, Namespace = "foo", Pod = "web-a", ServiceAccount = "web", Ports = [80] };

    [Fact]
    public void The_mesh_fingerprint_follows_content_not_object_identity()
    {
        var a = MeshState.From([Service("foo", "web", "web", Port(80))]);
        var b = MeshState.From([Service("foo", "web", "web", Port(80))]);
        var c = MeshState.From([Service("foo", "web", "web", Port(81))]);

        Assert.Equal(GenerationInputs.MeshFingerprint(a), GenerationInputs.MeshFingerprint(b));
        Assert.NotEqual(GenerationInputs.MeshFingerprint(a), GenerationInputs.MeshFingerprint(c));
    }

    [Fact]
    public void A_policy_change_changes_the_fingerprint()
    {
        var before = MeshState.From([Service("foo", "web", "web", Port(80))]);
        var after = before with
        {
            PeerAuthentications = [new PeerAuthentication { ApiVersion = "security.istio.io/v1", Metadata = Meta("foo", "default"), Spec = new PeerAuthenticationSpec { Mode = MtlsMode.Strict } }],
        };

        Assert.NotEqual(GenerationInputs.MeshFingerprint(before), GenerationInputs.MeshFingerprint(after));
    }

    [Fact]
    public void The_version_a_proxy_runs_is_not_a_generation_input_but_its_labels_and_the_trust_bundle_are()
    {
        const string mesh = "fingerprint";
        var baseline = GenerationInputs.ForProxy(mesh, Sidecar, ["ROOT"]);

        Assert.Equal(baseline, GenerationInputs.ForProxy(mesh, Sidecar with { CurrentVersion = "0123456789abcdef" }, ["ROOT"]));
        Assert.NotEqual(baseline, GenerationInputs.ForProxy(mesh, Sidecar with { Labels = Labels(("app", "web")) }, ["ROOT"]));
        Assert.NotEqual(baseline, GenerationInputs.ForProxy(mesh, Sidecar, ["ROOT", "NEXT-ROOT"]));
        Assert.NotEqual(baseline, GenerationInputs.ForProxy("other", Sidecar, ["ROOT"]));
    }
}
