using Meshwork.Model.Mesh;
using Meshwork.Model.Yaml;

namespace Meshwork.Policy.Tests.Why;

/// <summary>The mtls-migration mesh (seed 003: foo and bar meshed, legacy not) that the `x why` tests add mistakes to.</summary>
internal static class MigrationMesh
{
    private static readonly string Setup = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Scenarios", "mtls-migration", "00-setup.yaml"));

    public const string FooStrict = """
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: default, namespace: foo}
        spec: {mtls: {mode: STRICT}}
        """;

    /// <summary>The mesh with <paramref name="overlays"/> (YAML documents) applied after its setup.</summary>
    public static MeshState With(params string[] overlays)
    {
        var read = ManifestReader.Read(string.Join("\n---\n", [Setup, .. overlays.Where(o => o.Length > 0)]), "mesh.yaml", "default");
        Assert.False(read.HasErrors, string.Join('\n', read.Diagnostics));
        return MeshState.From(read.Resources);
    }
}
