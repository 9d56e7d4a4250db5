using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>
/// Whether a pod is a ready endpoint, as the Kubernetes endpoints controller decides it: running, with every container
/// reporting ready. A sidecar load-balances over ready endpoints only, so a Service whose pods are all unready has no
/// healthy upstream (503, flag UH) although it has endpoints.
/// </summary>
public static class PodReadiness
{
    public static bool IsReady(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        return pod.Status.Phase == "Running"
            && pod.Status.ContainerStatuses.Length > 0
            && pod.Status.ContainerStatuses.All(c => c.Ready);
    }

    /// <summary>Why <paramref name="pod"/> is not ready, in one phrase; null when it is.</summary>
    public static string? WhyNotReady(Pod pod)
    {
        ArgumentNullException.ThrowIfNull(pod);
        if (IsReady(pod)) return null;
        if (pod.Status.Phase != "Running") return $"its phase is {pod.Status.Phase}";
        if (pod.Status.ContainerStatuses.Length == 0) return "no container reports its state";
        var waiting = pod.Status.ContainerStatuses.Where(c => !c.Ready).Select(c => $"{c.Name} ({c.State})");
        return $"container(s) not ready: {string.Join(", ", waiting)}";
    }
}
