using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.ControlPlaneClient;

/// <summary>
/// The part hashes of the snapshot the proxy runs, sent with a reconnect so that the control plane (restarted, or
/// another replica) sends a delta rather than the whole snapshot. Computed once per version (reconnects to a
/// control plane that keeps refusing do not hash it again), and left out when they would take the registration
/// over <see cref="ProxyRegistration.MaxBytes"/>: the proxy is then sent its snapshot whole, as before.
/// </summary>
internal sealed class HeldSnapshotCache
{
    /// <summary>Room left for the rest of the registration (labels, ports, addresses).</summary>
    private const int RestOfRegistration = 64 * 1024;

    private (string Version, HeldSnapshot? Held)? _last;

    public HeldSnapshot? For(ProxySnapshot? running)
    {
        if (running is null) return null;
        if (_last is { } last && last.Version == running.Version) return last.Held;
        var held = SnapshotPartHashes.EstimatedHeldBytes(running) > ProxyRegistration.MaxBytes - RestOfRegistration ? null : SnapshotPartHashes.Held(running);
        _last = (running.Version, held);
        return held;
    }
}
