using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.ConfigApi;

/// <summary>
/// The container a pod subresource (log, exec) addresses: the named one, or the pod's only one,
/// refused in the API server's words otherwise.
/// </summary>
public static class PodContainerLookup
{
    /// <summary>The container's name, or the Status that refuses the request.</summary>
    public static async Task<(string? Container, IResult? Refusal)> FindAsync(HttpContext context, string @namespace, string pod, string? container)
    {
        KindRegistry.TryGetKind("Pod", out var podKind);
        var store = context.RequestServices.GetRequiredService<IResourceStore>();
        if (await store.FindAsync(new ResourceKey("Pod", @namespace, pod), context.RequestAborted).ConfigureAwait(false) is not Pod found)
        {
            return (null, KubeStatus.Failure(KubeStatus.NotFound, $"pods \"{pod}\" not found", podKind, pod));
        }
        var names = found.Spec.Containers.Select(c => c.Name).ToList();
        if (string.IsNullOrEmpty(container))
        {
            // As Kubernetes answers: the container may be left out only when there is one.
            return names.Count == 1
                ? (names[0], null)
                : (null, KubeStatus.Failure(KubeStatus.BadRequest, $"a container name must be specified for pod {pod}, choose one of: [{string.Join(' ', names)}]", podKind, pod));
        }
        return names.Contains(container)
            ? (container, null)
            : (null, KubeStatus.Failure(KubeStatus.BadRequest, $"container {container} is not valid for pod {pod}", podKind, pod));
    }
}
