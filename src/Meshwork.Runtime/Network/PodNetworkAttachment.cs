using System.Net;

namespace Meshwork.Runtime.Network;

/// <summary>One pod's place on the mesh network: its namespace (null in loopback mode) and address.</summary>
public sealed record PodNetworkAttachment
{
    public required IPAddress PodIp { get; init; }
    /// <summary>The name under /run/netns of the pod's network namespace; null when pods share the host's.</summary>
    public string? NetworkNamespace { get; init; }
    public int Slot { get; init; }

    public string? NamespacePath => NetworkNamespace is null ? null : MeshNetworkNames.NamespacePath(NetworkNamespace);
}
