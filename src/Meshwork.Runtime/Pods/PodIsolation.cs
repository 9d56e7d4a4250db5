using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// Where an isolated pod lives (pod network mode): its network namespace and users, and the
/// control plane as its sidecar reaches it from inside the namespace.
/// </summary>
public sealed record PodIsolation
{
    /// <summary>istiod's name and port, as Istio's sidecars know it; the pod's hosts file points it at the runtime's relay.</summary>
    public const string ControlPlaneHost = "istiod.istio-system.svc";
    public const int ControlPlanePort = 15012;

    /// <summary>
    /// The runtime relays one port per control-plane replica it knows, from <see cref="ControlPlanePort"/> up:
    /// the sidecar gets them all and moves to the next when its replica goes away.
    /// </summary>
    public static int RelayPort(int replica) => ControlPlanePort + replica;

    public required PodNetworkAttachment Network { get; init; }
    public required PodUsers Users { get; init; }
    public required string StagingDirectory { get; init; }

    /// <summary>The control-plane replicas as the sidecar reaches them from inside the pod: one relay port each.</summary>
    public required string ControlPlaneUrl { get; init; }

    public static string ControlPlaneUrls(int replicas) =>
        string.Join(',', Enumerable.Range(0, replicas).Select(i => $"https://{ControlPlaneHost}:{RelayPort(i)}"));

    /// <summary>The public root certificate, copied into the pod's folder (the state directory is hidden from pods).</summary>
    public static string RootCertFile(string podDirectory) => Path.Combine(podDirectory, "root-cert.pem");

    /// <summary>The pod's resolv.conf (search list of its namespace), written before its containers start.</summary>
    public static string ResolvConfFile(string podDirectory) => Path.Combine(podDirectory, "resolv.conf");
}
