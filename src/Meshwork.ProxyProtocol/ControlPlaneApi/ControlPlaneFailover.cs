namespace Meshwork.ProxyProtocol.ControlPlaneApi;

/// <summary>
/// Which control-plane replica a client talks to now, and where it goes when that one stops
/// answering: the next in the list, round and round. A client stays on a replica that answers (its
/// snapshot stream and its requests share one place), and moves only when that replica failed. The
/// proxy's control-plane agent and the CLI's API client both choose through this class. Thread-safe:
/// several requests may report the same failure, and the client moves once.
/// </summary>
public sealed class ControlPlaneFailover(ControlPlaneAddresses addresses)
{
    private int _current;
    private int _failuresSinceSuccess;

    public ControlPlaneAddresses Addresses { get; } = addresses ?? throw new ArgumentNullException(nameof(addresses));

    /// <summary>The replica to talk to now.</summary>
    public Uri Current => Addresses.All[Volatile.Read(ref _current)];

    /// <summary>Whether every replica failed since the last success: time to back off rather than move on at once.</summary>
    public bool AllFailed => Volatile.Read(ref _failuresSinceSuccess) >= Addresses.Count;

    /// <summary>
    /// Reports that <paramref name="failed"/> did not answer and returns the replica to try next. When
    /// the client already moved away from <paramref name="failed"/> (another request reported it first),
    /// the current replica stays.
    /// </summary>
    public Uri MoveOnFrom(Uri failed)
    {
        ArgumentNullException.ThrowIfNull(failed);
        while (true)
        {
            var index = Volatile.Read(ref _current);
            if (Addresses.All[index] != failed) return Addresses.All[index];
            Interlocked.Increment(ref _failuresSinceSuccess);
            var next = (index + 1) % Addresses.Count;
            if (Interlocked.CompareExchange(ref _current, next, index) == index) return Addresses.All[next];
        }
    }

    /// <summary>Reports that the current replica answered: a later failure starts a fresh round.</summary>
    public void Succeeded() => Volatile.Write(ref _failuresSinceSuccess, 0);
}
