using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml.Reading;

namespace Meshwork.Model.Mesh;

/// <summary>Reads Istio's MeshConfig (ConfigMap <c>istio</c>, key <c>mesh</c>, a YAML document).</summary>
public static class MeshConfigReader
{
    public const string ConfigMapName = "istio";
    public const string ConfigMapNamespace = "istio-system";
    public const string MeshKey = "mesh";

    /// <summary>
    /// Finds ConfigMap istio-system/istio and reads its <c>mesh</c> key. Absent ConfigMap, key or
    /// field keeps Istio's default. MeshConfig has many fields Meshwork does not use; they are ignored here
    /// (use <see cref="Read"/> to see what was not understood).
    /// </summary>
    public static MeshConfig FromConfigMaps(IEnumerable<ConfigMap> configMaps)
    {
        ArgumentNullException.ThrowIfNull(configMaps);
        foreach (var cm in configMaps)
        {
            if (cm.Metadata.Name == ConfigMapName && cm.Metadata.Namespace == ConfigMapNamespace && cm.Data.TryGetValue(MeshKey, out var mesh))
            {
                return Read(mesh, out _);
            }
        }
        return MeshConfig.Default;
    }

    /// <summary>Parses the <c>mesh</c> YAML; <paramref name="problems"/> lists values that could not be used (their defaults apply).</summary>
    public static MeshConfig Read(string meshYaml, out ImmutableArray<string> problems)
    {
        var config = MeshConfig.Default;
        var load = YamlLoader.Load(meshYaml ?? "");
        if (load.Fatal is { } fatal)
        {
            problems = [$"mesh config line {fatal.Line}: {fatal.Message}"];
            return config;
        }
        if (load.Documents.Count == 0)
        {
            problems = [];
            return config;
        }
        var sink = new List<Meshwork.Model.Yaml.Diagnostic>();
        var ctx = new ReadContext("mesh", 1, "", load.Documents[0].Root, sink);
        var m = ctx.MapAt(load.Documents[0].Root, "");
        if (m.String("rootNamespace") is { Length: > 0 } root) config = config with { RootNamespace = root };
        if (m.String("trustDomain") is { Length: > 0 } td) config = config with { TrustDomain = td };
        if (m.Raw("trustDomainAliases") is not null) config = config with { TrustDomainAliases = m.Strings("trustDomainAliases") };
        if (m.Bool("enableAutoMtls") is { } auto) config = config with { EnableAutoMtls = auto };
        if (SidecarReader.OutboundTrafficPolicy(m.Map("outboundTrafficPolicy")) is { } mode) config = config with { OutboundTrafficPolicy = mode, OutboundTrafficPolicySet = true };
        problems = [.. sink.Select(d => $"mesh config line {d.Line}: {d.Path}: {d.Message}")];
        return config;
    }
}
