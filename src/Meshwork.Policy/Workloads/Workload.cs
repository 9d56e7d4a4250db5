using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>A workload as policy sees it: a Deployment's pod template, or a running Pod.</summary>
public sealed record Workload
{
    /// <summary>The pod annotation (or label) that asks for, or refuses, a sidecar.</summary>
    public const string InjectAnnotation = "sidecar.istio.io/inject";
    /// <summary>The namespace label that turns injection on.</summary>
    public const string InjectionNamespaceLabel = "istio-injection";
    /// <summary>The pod label injection sets; endpoints carrying it receive auto mTLS.</summary>
    public const string TlsModeLabel = "security.istio.io/tlsMode";

    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public string ServiceAccount { get; init; } = "default";
    public bool HasSidecar { get; init; }
    /// <summary>Declared container ports.</summary>
    public ImmutableArray<int> Ports { get; init; } = [];
    /// <summary>Named container ports, for Services whose targetPort is a name.</summary>
    public ImmutableSortedDictionary<string, int> NamedPorts { get; init; } = ImmutableSortedDictionary<string, int>.Empty;

    /// <summary>"namespace/name", the form reasons use.</summary>
    public string Ref => $"{Namespace}/{Name}";

    /// <summary>Sidecar when the pod annotation sidecar.istio.io/inject says so, else the namespace label istio-injection=enabled.</summary>
    public static Workload FromDeployment(Deployment deployment, MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        ArgumentNullException.ThrowIfNull(mesh);
        var ns = deployment.Metadata.Namespace ?? "default";
        var template = deployment.Spec.Template;
        var (ports, named) = PortsOf(template.Spec);
        return new Workload
        {
            Namespace = ns,
            Name = deployment.Metadata.Name,
            Labels = template.Labels,
            ServiceAccount = ServiceAccountOf(template.Spec),
            HasSidecar = Injection.Decide(mesh, ns, template.Labels, template.Annotations).Injected,
            Ports = ports,
            NamedPorts = named,
        };
    }

    /// <summary>A running pod; HasSidecar from its label security.istio.io/tlsMode=istio (set at injection).</summary>
    public static Workload FromPod(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        var (ports, named) = PortsOf(pod.Spec);
        return new Workload
        {
            Namespace = pod.Metadata.Namespace ?? "default",
            Name = pod.Metadata.Name,
            Labels = pod.Metadata.Labels,
            ServiceAccount = ServiceAccountOf(pod.Spec),
            HasSidecar = pod.Metadata.Labels.TryGetValue(TlsModeLabel, out var mode) && mode == "istio",
            Ports = ports,
            NamedPorts = named,
        };
    }

    /// <summary>Every Deployment of the mesh as a workload, in input order.</summary>
    public static ImmutableArray<Workload> AllFromDeployments(MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var builder = ImmutableArray.CreateBuilder<Workload>(mesh.Deployments.Length);
        foreach (var deployment in mesh.Deployments) builder.Add(FromDeployment(deployment, mesh));
        return builder.MoveToImmutable();
    }

    private static string ServiceAccountOf(PodSpec spec) => string.IsNullOrEmpty(spec.ServiceAccountName) ? "default" : spec.ServiceAccountName;

    private static (ImmutableArray<int>, ImmutableSortedDictionary<string, int>) PortsOf(PodSpec spec)
    {
        var ports = ImmutableArray.CreateBuilder<int>();
        var named = ImmutableSortedDictionary.CreateBuilder<string, int>(StringComparer.Ordinal);
        foreach (var container in spec.Containers)
        {
            foreach (var port in container.Ports)
            {
                if (!ports.Contains(port.Port)) ports.Add(port.Port);
                if (!string.IsNullOrEmpty(port.Name)) named.TryAdd(port.Name, port.Port);
            }
        }
        return (ports.ToImmutable(), named.ToImmutable());
    }
}

/// <summary>Why a pod gets a sidecar or not, as Istio's injection webhook decides it.</summary>
public readonly record struct InjectionDecision(bool Injected, string Reason);

public static class Injection
{
    /// <summary>
    /// The pod's own sidecar.istio.io/inject (annotation, then label) wins; otherwise the namespace label
    /// istio-injection=enabled (or an istio.io/rev label) injects.
    /// </summary>
    public static InjectionDecision Decide(MeshState mesh, string @namespace, IReadOnlyDictionary<string, string> podLabels, IReadOnlyDictionary<string, string> podAnnotations)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(podLabels);
        ArgumentNullException.ThrowIfNull(podAnnotations);
        if (podAnnotations.TryGetValue(Workload.InjectAnnotation, out var annotation))
        {
            var on = IsTrue(annotation);
            return new(on, $"the pod annotation {Workload.InjectAnnotation}: \"{annotation}\" {(on ? "asks for" : "refuses")} a sidecar");
        }
        if (podLabels.TryGetValue(Workload.InjectAnnotation, out var label))
        {
            var on = IsTrue(label);
            return new(on, $"the pod label {Workload.InjectAnnotation}={label} {(on ? "asks for" : "refuses")} a sidecar");
        }
        foreach (var ns in mesh.Namespaces)
        {
            if (ns.Metadata.Name != @namespace) continue;
            if (ns.Metadata.Labels.TryGetValue(Workload.InjectionNamespaceLabel, out var value))
            {
                var on = value == "enabled";
                return new(on, $"namespace {@namespace} has the label {Workload.InjectionNamespaceLabel}={value}");
            }
            if (ns.Metadata.Labels.ContainsKey("istio.io/rev"))
            {
                return new(true, $"namespace {@namespace} has the label istio.io/rev");
            }
            return new(false, $"namespace {@namespace} has no {Workload.InjectionNamespaceLabel}=enabled label");
        }
        return new(false, $"namespace {@namespace} is not declared, so nothing asks for a sidecar");
    }

    private static bool IsTrue(string value) => value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("enabled", StringComparison.OrdinalIgnoreCase);
}
