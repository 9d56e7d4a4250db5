using System.Net;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

/// <summary>
/// Where a pod's ports are reached from this host, for the port-forward subresource. The local
/// runtime knows each pod's address (its own network namespace's IP, or its loopback address), so
/// the program that hosts the control plane beside it supplies this; a control plane without one
/// refuses port-forward.
/// </summary>
public interface IPodAddresses
{
    /// <summary>The pod's address, or null and why it cannot be reached from here.</summary>
    IPAddress? Find(string @namespace, string pod, out string? refusal);
}
