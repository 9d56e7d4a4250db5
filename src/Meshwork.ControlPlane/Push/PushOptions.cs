namespace Meshwork.ControlPlane.Push;

/// <summary>Tuning of the proxy-facing side. Defaults suit one host with a few hundred proxies.</summary>
public sealed record PushOptions
{
    /// <summary>Quiet time after a change before snapshots are generated, so a multi-document apply pushes once.</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(100);
    /// <summary>Longest a push waits for the changes to stop (a steady trickle of writes still pushes).</summary>
    public TimeSpan MaxDebounce { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>An empty line on an idle stream, so that both sides notice a dead connection.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>How long a disconnected proxy stays listed (as DISCONNECTED) before it is forgotten.</summary>
    public TimeSpan DisconnectedGracePeriod { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Certificate requests one identity may make in a burst …</summary>
    public int CertificateBurst { get; init; } = 10;
    /// <summary>… and the steady rate after it.</summary>
    public TimeSpan CertificateRefillInterval { get; init; } = TimeSpan.FromSeconds(6);
    /// <summary>Streams that may be setting up at once (generating and writing their first snapshot); the rest wait their turn.</summary>
    public int ConcurrentFirstSnapshots { get; init; } = 32;
    /// <summary>How long a new stream waits for its turn before it is refused with 503 (the proxy retries).</summary>
    public TimeSpan AdmissionWait { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>
    /// TLS handshakes that may run at once on the control-plane port (0: no limit); the rest wait their turn before their
    /// handshake starts. Eight per core (16 on two): a handshake is CPU work, so more at once only share the cores and
    /// finish later together, and fewer leave a core idle while a handshake waits for its peer's next flight.
    /// </summary>
    public int ConcurrentHandshakes { get; init; } = 8 * Environment.ProcessorCount;
    /// <summary>How long a new connection waits for its handshake to start before it is closed (the proxy retries).</summary>
    public TimeSpan HandshakeQueueWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Lifetime of bootstrap tokens issued through the API when the request names none.</summary>
    public TimeSpan? BootstrapTokenLifetime { get; init; }
}
