using Meshwork.Model.Resources;

namespace Meshwork.Model.Mesh;

/// <summary>Reads Istio's MeshConfig (ConfigMap <c>istio</c>, key <c>mesh</c>, a YAML document).</summary>
public static class MeshConfigReader
{
    public static MeshConfig FromConfigMaps(IEnumerable<ConfigMap> configMaps)
        => MeshConfig.Default; // replaced by the Model work: parse rootNamespace, trustDomain, trustDomainAliases, enableAutoMtls
}
