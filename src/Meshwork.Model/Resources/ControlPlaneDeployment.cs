using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

/// <summary>
/// istiod as an Istio user finds it: the Deployment istio-system/istiod, which the control plane writes
/// when it starts and whose one pod is the control plane itself, so the runtime never runs it. A new pod
/// template (the restartedAt annotation of <c>kubectl rollout restart</c>) is istiod's restart: the control
/// plane takes up its CA again from where istiod reads it when its pod starts (the cacerts secret).
/// </summary>
public static class ControlPlaneDeployment
{
    public const string Namespace = "istio-system";
    public const string Name = "istiod";

    private static readonly ImmutableSortedDictionary<string, string> Labels =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("app", "istiod"), KeyValuePair.Create("istio", "pilot")]);

    /// <summary>True for the control plane's own Deployment.</summary>
    public static bool Is(Resource resource) =>
        resource is Deployment && resource.Metadata.Namespace == Namespace && resource.Metadata.Name == Name;

    /// <summary>
    /// True when a write of <paramref name="next"/> over <paramref name="current"/> restarts istiod: its pod
    /// template changed, which is what makes Kubernetes roll a Deployment's pods.
    /// </summary>
    public static bool IsRestart(Resource? current, Resource next) =>
        Is(next) && current is Deployment before && next is Deployment after && before.Spec.Template != after.Spec.Template;

    /// <summary>The Deployment as a fresh control plane writes it: one replica, ready (it is the process answering).</summary>
    public static Deployment Create() => new()
    {
        ApiVersion = "apps/v1",
        Metadata = new ObjectMeta { Name = Name, Namespace = Namespace, Labels = Labels },
        Spec = new DeploymentSpec
        {
            Replicas = 1,
            Selector = new LabelSelector(Labels),
            Template = new PodTemplate
            {
                Labels = Labels,
                // As Istio's own istiod: the control plane gets no sidecar.
                Annotations = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("sidecar.istio.io/inject", "false")]),
                Spec = new PodSpec
                {
                    ServiceAccountName = "istiod",
                    Containers = [new Container { Name = "discovery", Image = "meshwork", Command = ["meshwork", "server"] }],
                },
            },
        },
        Status = new DeploymentStatus { Replicas = 1, UpdatedReplicas = 1, ReadyReplicas = 1, AvailableReplicas = 1 },
    };
}
