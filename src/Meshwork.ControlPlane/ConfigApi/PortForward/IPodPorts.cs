using System.Net.Sockets;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

/// <summary>
/// How a pod's ports are reached from this host, for the port-forward subresource: as the kubelet does, on the pod's
/// own localhost (never through its sidecar's inbound capture). The local runtime knows its pods, so the program that
/// hosts the control plane beside it supplies this, as it supplies exec; a control plane without one refuses
/// port-forward.
/// </summary>
public interface IPodPorts
{
    /// <summary>Null when the pod's ports can be reached from here, else why not (checked when a session starts).</summary>
    string? Refusal(string @namespace, string pod);

    /// <summary>
    /// How port <paramref name="port"/> of the pod is dialled, or null and why it cannot be (looked up for each forwarded
    /// connection: a container may have restarted since the session started).
    /// </summary>
    PodPortDialer? Find(string @namespace, string pod, int port, out string? refusal);
}

/// <summary>
/// One port of a pod, ready to dial: <paramref name="Target"/> names what is dialled in kubectl's error text;
/// <paramref name="ConnectAsync"/> throws a <see cref="SocketException"/> when the pod refuses, an
/// <see cref="IOException"/> when the pod cannot be entered, and cancels with its token.
/// </summary>
public sealed record PodPortDialer(string Target, Func<CancellationToken, Task<Socket>> ConnectAsync);
