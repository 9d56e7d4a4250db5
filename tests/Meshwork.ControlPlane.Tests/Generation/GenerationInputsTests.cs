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
    public void The_shared_inputs_follow_the_mesh_and_every_root_of_the_trust_bundle()
    {
        const string mesh = "fingerprint";
        var baseline = GenerationInputs.Shared(mesh, ["ROOT"]);

        Assert.Equal(baseline, GenerationInputs.Shared(mesh, ["ROOT"]));
        Assert.NotEqual(baseline, GenerationInputs.Shared(mesh, ["ROOT", "NEXT-ROOT"]));
        Assert.NotEqual(baseline, GenerationInputs.Shared(mesh, ["NEXT-ROOT"]));
        Assert.NotEqual(baseline, GenerationInputs.Shared("other", ["ROOT"]));
        // Roots are delimited: two roots are not their concatenation.
        Assert.NotEqual(GenerationInputs.Shared(mesh, ["AB", "C"]), GenerationInputs.Shared(mesh, ["A", "BC"]));
    }
}
