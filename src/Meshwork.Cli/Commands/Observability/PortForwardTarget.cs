using System.Globalization;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Observability;

/// <summary>
/// Where <c>port-forward</c> connects: for svc/NAME, a ready pod the Service selects, on the target port
/// of the Service port asked for (as kube-proxy picks an endpoint); for a pod or deploy/NAME, the pod's
/// port asked for. Either way on the pod's own localhost, as the kubelet connects (<see cref="PodLocalPort"/>).
/// </summary>
public static class PortForwardTarget
{
    public static async Task<(PodLocalPort? Target, string? Error)> ResolveAsync(
        StateDirectory state, IMeshApi api, string @namespace, string target, int remotePort, CancellationToken cancellationToken)
    {
        var slash = target.IndexOf('/', StringComparison.Ordinal);
        var kind = slash > 0 ? target[..slash].ToLowerInvariant() : "pod";
        if (kind is not ("svc" or "service" or "services"))
        {
            var pod = PodRecord.Resolve(state, @namespace, target, out var error);
            return pod is null ? (null, error) : Local(pod, remotePort);
        }
        var name = target[(slash + 1)..];
        if (await api.GetAsync("Service", @namespace, name, cancellationToken).ConfigureAwait(false) is not Service service)
        {
            return (null, $"Error from server (NotFound): services \"{name}\" not found in namespace \"{@namespace}\"");
        }
        var port = service.Spec.Ports.FirstOrDefault(p => p.Port == remotePort);
        if (port is null)
        {
            return (null, $"error: Service {@namespace}/{name} does not have a service port {remotePort.ToString(CultureInfo.InvariantCulture)}");
        }
        if (port.TargetPort is { Number: null })
        {
            return (null, $"error: Service {@namespace}/{name} port {remotePort.ToString(CultureInfo.InvariantCulture)} names its target port ({port.TargetPort}); forward to the pod's port instead");
        }
        var selected = service.Spec.Selector.IsEmpty ? null : PodRecord.List(state, @namespace)
            .Where(p => p.Ready && service.Spec.Selector.Matches(p.Labels))
            .OrderByDescending(p => p.CreatedAt)
            .FirstOrDefault();
        if (selected is null)
        {
            return (null, $"error: no ready pod selected by service {@namespace}/{name}");
        }
        return Local(selected, port.TargetPort?.Number ?? port.Port);
    }

    private static (PodLocalPort?, string?) Local(PodRecord pod, int port) =>
        PodLocalPort.Find(pod, port, out var refusal) is { } local ? (local, null) : (null, $"error: {refusal}");

    /// <summary>kubectl's port spec: "LOCAL:REMOTE", or "PORT" for both, or ":REMOTE" for any free local port.</summary>
    public static bool TryParsePorts(string spec, out int local, out int remote)
    {
        local = remote = 0;
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var localText = colon < 0 ? spec : spec[..colon];
        var remoteText = colon < 0 ? spec : spec[(colon + 1)..];
        if (!int.TryParse(remoteText, NumberStyles.None, CultureInfo.InvariantCulture, out remote) || remote is < 1 or > 65535) return false;
        if (localText.Length == 0) return true;
        return int.TryParse(localText, NumberStyles.None, CultureInfo.InvariantCulture, out local) && local is >= 0 and <= 65535;
    }
}
