using Meshwork.Cli.Commands.Resources;
using Meshwork.Model.Mesh;
using Meshwork.Policy;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>
/// A workload as istioctl's diagnostics name it: <c>POD</c>, <c>POD.NS</c>, <c>deploy/NAME</c> or
/// <c>deploy/NAME.NS</c>; without a namespace in the name, the one of -n.
/// </summary>
internal sealed record WorkloadArgument(bool IsDeployment, string Name, string Namespace)
{
    public override string ToString() => $"{(IsDeployment ? "deployment " : "pod ")}{Name}.{Namespace}";

    public static WorkloadArgument Parse(string value, string defaultNamespace)
    {
        ArgumentNullException.ThrowIfNull(value);
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var kind = slash < 0 ? "pod" : value[..slash].ToLowerInvariant();
        var rest = slash < 0 ? value : value[(slash + 1)..];
        var isDeployment = kind switch
        {
            "deploy" or "deployment" or "deployments" or "deployment.apps" => true,
            "pod" or "pods" or "po" => false,
            _ => throw new CliUsageException($"\"{value}\": expected POD[.NAMESPACE] or deploy/NAME[.NAMESPACE]"),
        };
        var parts = rest.Split('.');
        return parts switch
        {
            [var name] when name.Length > 0 => new(isDeployment, name, defaultNamespace),
            [var name, var ns] when name.Length > 0 && ns.Length > 0 => new(isDeployment, name, ns),
            _ => throw new CliUsageException($"\"{value}\": expected POD[.NAMESPACE] or deploy/NAME[.NAMESPACE]"),
        };
    }

    /// <summary>
    /// A running pod when the mesh has one (its labels say whether it has a sidecar), else the
    /// Deployment's template. A pod's name also finds its Deployment's, as `exec` accepts it.
    /// </summary>
    public Workload Resolve(MeshState mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        if (!IsDeployment && mesh.Pods.FirstOrDefault(p => (p.Metadata.Namespace ?? "default") == Namespace && p.Metadata.Name == Name) is { } pod)
        {
            return Workload.FromPod(pod);
        }
        var deployment = mesh.Deployments.FirstOrDefault(d => (d.Metadata.Namespace ?? "default") == Namespace && d.Metadata.Name == Name)
            ?? throw new CliUsageException($"{(IsDeployment ? "deployment" : "pod")} {Name}.{Namespace} not found");
        var running = mesh.Pods.FirstOrDefault(p => (p.Metadata.Namespace ?? "default") == Namespace
            && !deployment.Spec.Selector.IsEmpty && deployment.Spec.Selector.Matches(p.Metadata.Labels));
        return running is null ? Workload.FromDeployment(deployment, mesh) : Workload.FromPod(running);
    }
}
