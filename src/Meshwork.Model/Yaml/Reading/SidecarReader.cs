using Meshwork.Model.Resources;

namespace Meshwork.Model.Yaml.Reading;

/// <summary>Reads Istio's Sidecar (networking.istio.io v1alpha3, v1beta1 and v1 share one schema).</summary>
internal static class SidecarReader
{
    public static readonly (string, OutboundTrafficMode)[] Modes = [("ALLOW_ANY", OutboundTrafficMode.AllowAny), ("REGISTRY_ONLY", OutboundTrafficMode.RegistryOnly)];

    public static Sidecar Sidecar(MapReader top, string apiVersion, ObjectMeta meta)
    {
        var m = top.Map("spec");
        var spec = new SidecarSpec
        {
            WorkloadSelector = WorkloadSelector(m.Map("workloadSelector")),
            Egress = m.Objects("egress", Egress),
            OutboundTrafficPolicy = OutboundTrafficPolicy(m.Map("outboundTrafficPolicy")),
        };
        m.UnsupportedBecause("ingress", "the sidecar serves the workload's ports as its Services declare them");
        m.Unsupported("inboundConnectionPool");
        m.Finish();
        top.Accept("status");
        return new Sidecar { ApiVersion = apiVersion, Metadata = meta, Spec = spec };
    }

    /// <summary>The Sidecar's own WorkloadSelector: <c>labels</c>, not <c>matchLabels</c>.</summary>
    private static LabelSelector? WorkloadSelector(MapReader m)
    {
        if (!m.Present) return null;
        var labels = m.StringMap("labels");
        m.Finish();
        return new LabelSelector(labels);
    }

    private static SidecarEgress Egress(MapReader m)
    {
        var egress = new SidecarEgress { Hosts = m.Strings("hosts") };
        // A listener bound to one port would scope only that port; Meshwork scopes services, every port alike.
        m.UnsupportedBecause("port", "egress hosts apply to every port");
        m.Unsupported("bind", "captureMode");
        m.Finish();
        return egress;
    }

    public static OutboundTrafficMode? OutboundTrafficPolicy(MapReader m)
    {
        if (!m.Present) return null;
        var mode = m.Enum("mode", Modes) ?? OutboundTrafficMode.AllowAny;
        m.Unsupported("egressProxy");
        m.Finish();
        return mode;
    }
}
