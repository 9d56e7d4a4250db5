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

    public required PodNetworkAttachment Network { get; init; }
    public required PodUsers Users { get; init; }
    public required string StagingDirectory { get; init; }

    public static string ControlPlaneUrl => $"https://{ControlPlaneHost}:{ControlPlanePort}";

    /// <summary>The public root certificate, copied into the pod's folder (the state directory is hidden from pods).</summary>
    public static string RootCertFile(string podDirectory) => Path.Combine(podDirectory, "root-cert.pem");

    /// <summary>The pod's resolv.conf (search list of its namespace), written before its containers start.</summary>
    public static string ResolvConfFile(string podDirectory) => Path.Combine(podDirectory, "resolv.conf");
}
