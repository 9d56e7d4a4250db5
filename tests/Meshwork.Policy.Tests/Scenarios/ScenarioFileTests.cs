using Meshwork.Model.Mesh;
using Meshwork.Model.Yaml;
using static Meshwork.Policy.Tests.Scenarios.Tutorial;

namespace Meshwork.Policy.Tests.Scenarios;

/// <summary>The tutorials' manifests, read as a user would apply them, replayed step by step.</summary>
public class ScenarioFileTests
{
    private static MeshState Apply(string scenario, params string[] files)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Scenarios", scenario);
        var result = ManifestReader.ReadPaths(files.Select(f => Path.Combine(dir, f)));
        Assert.False(result.HasErrors, string.Join(Environment.NewLine, result.Errors));
        return MeshState.From(result.Resources);
    }

    [Fact]
    public void Mtls_migration_tutorial_matrices()
    {
        Assert.Equal(MtlsMigrationTests.AllSucceed, MigrationMatrix(Apply("mtls-migration", "00-setup.yaml")));
        Assert.Equal(MtlsMigrationTests.FooStrict, MigrationMatrix(Apply("mtls-migration", "00-setup.yaml", "mtls-ns.yaml")));
        Assert.Equal(MtlsMigrationTests.MeshWideStrict, MigrationMatrix(Apply("mtls-migration", "00-setup.yaml", "mtls-ns.yaml", "mtls-global.yaml")));
        // kubectl delete peerauthentication --all: back to the start.
        Assert.Equal(MtlsMigrationTests.AllSucceed, MigrationMatrix(Apply("mtls-migration", "00-setup.yaml")));
    }

    [Fact]
    public void Mesh_strict_tutorial_with_a_permissive_frontend()
    {
        Assert.Equal("200", Curl(Apply("mesh-strict", "00-setup.yaml"), "noistio", "sleep", "frontend.hipstershopv1v2", 8080, "/"));

        var strict = Apply("mesh-strict", "00-setup.yaml", "mtls-global.yaml");
        Assert.Equal("000", Curl(strict, "noistio", "sleep", "frontend.hipstershopv1v2", 8080, "/"));

        var withFrontend = Apply("mesh-strict", "00-setup.yaml", "mtls-global.yaml", "frontend-permissive.yaml");
        Assert.Equal("200", Curl(withFrontend, "noistio", "sleep", "frontend.hipstershopv1v2", 8080, "/"));
        Assert.Equal("000", Curl(withFrontend, "noistio", "sleep", "adservice.hipstershopv1v2", 9555, "/"));
    }
}
