using Meshwork.Model.Resources;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// Whether a new pod gets a sidecar, as Istio's injector decides it: the pod annotation
/// <c>sidecar.istio.io/inject</c> wins, then the namespace label <c>istio-injection</c>.
/// </summary>
public static class SidecarInjection
{
    public const string PodAnnotation = "sidecar.istio.io/inject";
    public const string NamespaceLabel = "istio-injection";
    public const string TlsModeLabel = "security.istio.io/tlsMode";
    public const string SidecarContainerName = "istio-proxy";

    public static bool Decide(PodTemplate template, Namespace? @namespace)
    {
        if (template.Annotations.TryGetValue(PodAnnotation, out var annotation) || template.Labels.TryGetValue(PodAnnotation, out annotation))
        {
            if (bool.TryParse(annotation, out var forced)) return forced;
        }
        return @namespace is not null
            && @namespace.Metadata.Labels.TryGetValue(NamespaceLabel, out var label)
            && label == "enabled";
    }
}
