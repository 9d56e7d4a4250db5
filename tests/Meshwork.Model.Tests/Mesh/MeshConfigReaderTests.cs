using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Mesh;

public class MeshConfigReaderTests
{
    private static ConfigMap Cm(string name, string? ns, string? mesh) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Data = mesh is null ? ImmutableSortedDictionary<string, string>.Empty : ImmutableSortedDictionary<string, string>.Empty.Add("mesh", mesh),
    };

    [Fact]
    public void Absent_config_map_gives_istio_defaults()
    {
        var config = MeshConfigReader.FromConfigMaps([]);
        Assert.Equal(("istio-system", "cluster.local", true), (config.RootNamespace, config.TrustDomain, config.EnableAutoMtls));
        Assert.Empty(config.TrustDomainAliases);
    }

    [Fact]
    public void Mesh_key_of_istio_config_map_in_istio_system_is_read()
    {
        var config = MeshConfigReader.FromConfigMaps([
            Cm("other", "istio-system", "trustDomain: wrong.org"),
            Cm("istio", "default", "trustDomain: wrong.org"),
            Cm("istio", "istio-system", """
                rootNamespace: mesh-root
                trustDomain: example.org
                trustDomainAliases: [old.example.org, cluster.local]
                enableAutoMtls: false
                defaultConfig:
                  discoveryAddress: istiod.istio-system.svc:15012
                """),
        ]);
        Assert.Equal(("mesh-root", "example.org", false), (config.RootNamespace, config.TrustDomain, config.EnableAutoMtls));
        Assert.Equal(["old.example.org", "cluster.local"], config.TrustDomainAliases.ToArray());
    }

    [Fact]
    public void Fields_left_out_keep_their_defaults()
    {
        var config = MeshConfigReader.FromConfigMaps([Cm("istio", "istio-system", "trustDomain: example.org\n")]);
        Assert.Equal(MeshConfig.Default with { TrustDomain = "example.org" }, config);
    }

    [Fact]
    public void Values_of_the_wrong_type_keep_the_default_and_are_reported()
    {
        var config = MeshConfigReader.Read("enableAutoMtls: \"no\"\ntrustDomain: example.org\n", out var problems);
        Assert.True(config.EnableAutoMtls);
        Assert.Equal("example.org", config.TrustDomain);
        Assert.Contains("enableAutoMtls", Assert.Single(problems), StringComparison.Ordinal);
    }

    [Fact]
    public void Mesh_state_reads_the_mesh_config_from_an_applied_manifest()
    {
        var read = ManifestReader.Read("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |-
                trustDomain: corp.example
            """, "mesh.yaml");
        Assert.Equal("corp.example", MeshState.From(read.Resources).Mesh.TrustDomain);
    }
}
