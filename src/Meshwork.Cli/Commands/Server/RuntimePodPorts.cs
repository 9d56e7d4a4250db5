using Meshwork.Api;
using Meshwork.ControlPlane.ConfigApi.PortForward;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Server;

/// <summary>
/// <c>kubectl port-forward</c> through the control plane: the pod's record in the shared state directory says where
/// it runs, as for <c>kubectl exec</c>, and the runtime dials the port on the pod's own localhost, as
/// <c>meshwork port-forward</c> does.
/// </summary>
internal sealed class RuntimePodPorts(StateDirectory state) : IPodPorts
{
    public string? Refusal(string @namespace, string pod) =>
        PodRecord.Resolve(state, @namespace, pod, out _) is null ? $"pod {pod} is not running on this host" : null;

    public PodPortDialer? Find(string @namespace, string pod, int port, out string? refusal)
    {
        if (PodRecord.Resolve(state, @namespace, pod, out _) is not { } record)
        {
            refusal = $"pod {pod} is not running on this host";
            return null;
        }
        return PodLocalPort.Find(record, port, out refusal) is { } local ? new PodPortDialer(local.ToString(), local.ConnectAsync) : null;
    }
}
