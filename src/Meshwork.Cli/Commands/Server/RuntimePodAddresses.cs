using System.Net;
using Meshwork.Api;
using Meshwork.ControlPlane.ConfigApi.PortForward;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Server;

/// <summary>
/// <c>kubectl port-forward</c> through the control plane: the pod's record in the shared state
/// directory gives its address (its IP on the pod network, or its loopback address), which
/// <c>meshwork port-forward</c> connects to as well.
/// </summary>
internal sealed class RuntimePodAddresses(StateDirectory state) : IPodAddresses
{
    public IPAddress? Find(string @namespace, string pod, out string? refusal)
    {
        if (PodRecord.Resolve(state, @namespace, pod, out _) is not { } record)
        {
            refusal = $"pod {pod} is not running on this host";
            return null;
        }
        if (!IPAddress.TryParse(record.PodIp, out var address))
        {
            refusal = $"pod {pod} has no address yet";
            return null;
        }
        refusal = null;
        return address;
    }
}
