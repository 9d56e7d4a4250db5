using System.Net;
using Meshwork.Api;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Runtime;

/// <summary>
/// The control-plane replicas the runtime knows: the list it was given (<c>--server</c>), else the one control
/// plane of its state directory's server.json. The pods' proxies get all of them, so a proxy moves to another
/// replica when its own goes away, as the runtime's API client does.
/// </summary>
internal static class ControlPlaneAddress
{
    /// <summary>The replicas, in the order the proxies try them; null while none is known.</summary>
    public static ControlPlaneAddresses? Replicas(StateDirectory state, ControlPlaneAddresses? known) =>
        known ?? (ControlPlaneAddresses.TryParse(ServerInfo.Read(state)?.Url, out var recorded, out _) ? recorded : null);

    /// <summary>
    /// Where replica <paramref name="index"/> of <see cref="Replicas"/> listens, for the pods' relay; null while it
    /// is not known (no server.json yet, or fewer replicas than the relay was started for).
    /// </summary>
    public static EndPoint? Listener(StateDirectory state, ControlPlaneAddresses? known, int index)
    {
        if (Replicas(state, known) is not { } replicas || index >= replicas.Count) return null;
        var url = replicas.All[index];
        return IPAddress.TryParse(url.Host.Trim('[', ']'), out var address)
            ? new IPEndPoint(address.Equals(IPAddress.Any) ? IPAddress.Loopback : address, url.Port)
            : new DnsEndPoint(url.Host, url.Port);
    }
}
