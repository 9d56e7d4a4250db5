using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// Where port-forward connects for a port of a pod, as the kubelet does: to <c>localhost:PORT</c> inside the pod's
/// network namespace, so the connection never meets the sidecar's inbound capture (a STRICT pod forwards as any other,
/// as with Istio) and a port bound on the pod's 127.0.0.1 only is reached too. The namespace is entered through a
/// container's process, as exec enters it. In the loopback mode pods share the host's network: a declared port is
/// where the app itself listens (behind its sidecar, a 127.0.0.1 port of its own), any other the pod's address.
/// Both <c>meshwork port-forward</c> and the control plane's port-forward subresource connect through here.
/// </summary>
public sealed record PodLocalPort
{
    /// <summary>The address connected to, in <see cref="NamespaceLink"/> when there is one.</summary>
    public required IPEndPoint Target { get; init; }

    /// <summary><c>/proc/PID/ns/net</c> of a container of the pod (the pod network mode); null in the loopback mode.</summary>
    public string? NamespaceLink { get; init; }

    /// <summary>Where port <paramref name="port"/> of <paramref name="pod"/> is reached, or null and why it is not.</summary>
    public static PodLocalPort? Find(PodRecord pod, int port, out string? refusal)
    {
        ArgumentNullException.ThrowIfNull(pod);
        refusal = null;
        if (pod.Containers.Any(c => c.Uid is not null))
        {
            // A pod of its own network namespace (exec's test as well): any running container's process is in it.
            if (pod.Containers.FirstOrDefault(c => c.Pid is not null) is not { Pid: int pid })
            {
                refusal = $"pod {pod.Name} has no running container";
                return null;
            }
            return new PodLocalPort
            {
                Target = new IPEndPoint(IPAddress.Loopback, port),
                NamespaceLink = $"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/ns/net",
            };
        }
        var key = $"PORT_{port.ToString(CultureInfo.InvariantCulture)}";
        foreach (var container in pod.Containers)
        {
            // The runtime gives an app its listening address for each declared port as HOST and PORT_<n>.
            if (container.Environment.TryGetValue(key, out var listening)
                && int.TryParse(listening, NumberStyles.None, CultureInfo.InvariantCulture, out var local) && local is > 0 and <= 65535
                && container.Environment.TryGetValue("HOST", out var host) && IPAddress.TryParse(host, out var address))
            {
                return new PodLocalPort { Target = new IPEndPoint(address.Equals(IPAddress.Any) ? IPAddress.Loopback : address, local) };
            }
        }
        if (!IPAddress.TryParse(pod.PodIp, out var podIp))
        {
            refusal = $"pod {pod.Name} has no address yet";
            return null;
        }
        return new PodLocalPort { Target = new IPEndPoint(podIp, port) };
    }

    /// <summary>
    /// A connection to <see cref="Target"/> (from inside the pod in the pod network mode). Throws a
    /// <see cref="SocketException"/> when the pod refuses it, an <see cref="IOException"/> when the pod's namespace
    /// cannot be entered (its container exited), and cancels with <paramref name="cancellationToken"/>.
    /// </summary>
    public async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        if (NamespaceLink is not { } link)
        {
            var socket = new Socket(Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            return await NetworkNamespaceSockets.ConnectOrDisposeAsync(socket, Target, cancellationToken).ConfigureAwait(false);
        }
        // Fail closed: a process that exited (or whose id went to another process outside the pod) must not lend the
        // host's own localhost to the caller.
        var pod = NetworkNamespaceSockets.Identity(link);
        if (pod is null || pod == NetworkNamespaceSockets.Identity(NetworkNamespaceSockets.OwnNamespacePath))
        {
            throw new IOException("the pod's container is not running in the pod's network namespace");
        }
        return await NetworkNamespaceSockets.ConnectAsync(link, Target, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As the kubelet names what it dialled: the pod's localhost, or the address in the loopback mode.</summary>
    public override string ToString() => NamespaceLink is null ? Target.ToString() : $"{Target} inside the pod";
}
