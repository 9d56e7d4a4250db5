using System.Collections.Concurrent;
using System.Collections.Immutable;
using Meshwork.ControlPlane.Push;
using Meshwork.Generation;
using Meshwork.Identity;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.ControlPlane.Registry;

/// <summary>
/// The proxies this control plane serves, keyed by "&lt;pod&gt;.&lt;namespace&gt;". One live stream per
/// proxy: a reconnect replaces (and closes) the older stream. A proxy whose stream ended stays
/// listed as disconnected for a grace period, then is forgotten.
/// </summary>
public sealed class ProxyRegistry(TimeProvider time, PushOptions options)
{
    private readonly ConcurrentDictionary<string, ProxyConnection> _proxies = new(StringComparer.Ordinal);

    public ProxyConnection Connect(ProxyRegistration registration, SpiffeId identity)
    {
        ArgumentNullException.ThrowIfNull(registration);
        Prune();
        var connection = new ProxyConnection(ProxyIds.Of(registration), registration, identity, time.GetUtcNow());
        ProxyConnection? replaced = null;
        _proxies.AddOrUpdate(connection.Id, connection, (_, old) => { replaced = old; return connection; });
        replaced?.Close();
        return connection;
    }

    /// <summary>Marks the stream ended. A stream already replaced by a newer one leaves the entry alone.</summary>
    public void Disconnect(ProxyConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_proxies.TryGetValue(connection.Id, out var current) && ReferenceEquals(current, connection))
        {
            connection.MarkDisconnected(time.GetUtcNow());
        }
        else
        {
            connection.Close();
        }
    }

    public ProxyConnection? Find(string id) => _proxies.TryGetValue(id, out var c) ? c : null;

    /// <summary>The proxies with a live stream (the ones a push goes to).</summary>
    public IReadOnlyList<ProxyConnection> Connected => [.. _proxies.Values.Where(c => c.DisconnectedAt is null)];

    /// <summary>Records a proxy's ACK or NACK. Only the proxy's own identity may answer for it.</summary>
    public AckOutcome RecordAck(SnapshotAck ack, SpiffeId caller)
    {
        ArgumentNullException.ThrowIfNull(ack);
        if (!_proxies.TryGetValue(ack.ProxyId, out var connection)) return AckOutcome.UnknownProxy;
        if (connection.Identity != caller) return AckOutcome.NotYourProxy;
        connection.RecordResponse(ack, time.GetUtcNow());
        return AckOutcome.Recorded;
    }

    public ImmutableArray<ProxyStatus> List()
    {
        Prune();
        return [.. _proxies.Values
            .OrderBy(c => c.Registration.Namespace, StringComparer.Ordinal)
            .ThenBy(c => c.Registration.Pod, StringComparer.Ordinal)
            .Select(ProxyStatus.Of)];
    }

    /// <summary>Forgets proxies disconnected for longer than the grace period.</summary>
    public void Prune()
    {
        var cutoff = time.GetUtcNow() - options.DisconnectedGracePeriod;
        foreach (var (id, connection) in _proxies)
        {
            if (connection.DisconnectedAt is { } at && at <= cutoff)
            {
                _proxies.TryRemove(new KeyValuePair<string, ProxyConnection>(id, connection));
            }
        }
    }
}

public enum AckOutcome { Recorded, UnknownProxy, NotYourProxy }
