using System.Collections.Immutable;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Pods;

namespace Meshwork.Runtime;

/// <summary>The addresses of LoadBalancer Services, as a cloud's load balancer controller publishes them.</summary>
internal static class LoadBalancerAddresses
{
    /// <summary>
    /// A LoadBalancer Service's address is that of a running pod it selects (the lowest, for a stable answer), written
    /// to status.loadBalancer.ingress as a cloud's load balancer controller does; none while no such pod has one.
    /// </summary>
    public static async Task PublishAsync(IMeshApi api, IEnumerable<Service> services, IReadOnlyCollection<PodPlan> pods, Action<string> log, CancellationToken cancellationToken)
    {
        foreach (var service in services.Where(s => s.Spec.Type == "LoadBalancer" && !s.Spec.Selector.IsEmpty))
        {
            var address = pods
                .Where(p => p.Namespace == (service.Metadata.Namespace ?? "default") && service.Spec.Selector.Matches(p.Labels))
                .Select(p => p.PodIp.ToString())
                .Order(StringComparer.Ordinal)
                .FirstOrDefault();
            ImmutableArray<string> ingress = address is null ? [] : [address];
            if (service.Status.LoadBalancerIngress.SequenceEqual(ingress)) continue;
            try { await api.PutAsync(service with { Status = new ServiceStatus { LoadBalancerIngress = ingress } }, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { log($"runtime: could not publish the address of service {service.Ref}: {e.Message}"); }
        }
    }
}
