using System.Net;

namespace Meshwork.Proxy.Inbound.Protection;

/// <summary>
/// Counts one port's connections that have not yet sent their first request (sniffing, TLS handshake, first
/// head): the state in which a client costs the proxy memory and a descriptor while showing nothing of itself.
/// Bounded in all, and per source address to an eighth of that, so that one client holding idle or half-sent
/// connections fills its own share and not the port's: mesh clients connect from their own pod addresses.
/// </summary>
internal sealed class PendingConnections
{
    private readonly int _limit;
    private readonly int _perSource;
    private readonly Dictionary<IPAddress, int> _bySource = [];
    private int _count;

    public PendingConnections(int limit)
    {
        _limit = limit;
        _perSource = Math.Max(1, limit / 8);
    }

    public int PerSourceLimit => _perSource;

    /// <summary>A slot, or null when the port or this source already has its limit of pending connections (the caller refuses this one).</summary>
    public Slot? TryEnter(IPAddress? source)
    {
        source ??= IPAddress.None;
        lock (_bySource)
        {
            _bySource.TryGetValue(source, out var fromSource);
            if (_count >= _limit || fromSource >= _perSource) return null;
            _bySource[source] = fromSource + 1;
            _count++;
        }
        return new Slot(this, source);
    }

    private void Leave(IPAddress source)
    {
        lock (_bySource)
        {
            _count--;
            var left = _bySource[source] - 1;
            if (left == 0) _bySource.Remove(source);
            else _bySource[source] = left;
        }
    }

    /// <summary>One pending connection's place; given back once, when its first request arrives or it ends.</summary>
    internal sealed class Slot(PendingConnections owner, IPAddress source) : IDisposable
    {
        private int _released;

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) owner.Leave(source);
        }

        public void Dispose() => Release();
    }
}
