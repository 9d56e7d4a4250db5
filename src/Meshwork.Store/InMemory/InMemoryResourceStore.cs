using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.Store.InMemory;

/// <summary>
/// A store that lives in process memory: for tests and for throwaway control planes. Writers are
/// serialized; readers see the last committed snapshot without waiting.
/// </summary>
public sealed class InMemoryResourceStore(TimeProvider? time = null, int eventRetention = 10_000) : ResourceStoreBase(time)
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _eventsLock = new();
    private readonly List<StoreEvent> _events = [];
    private volatile State _state = new(ImmutableSortedDictionary.Create<ResourceKey, Resource>(KeyOrder.Instance), 0);
    private long _compactedThrough;
    private readonly Dictionary<string, long> _redeemed = new(StringComparer.Ordinal);

    /// <summary>Redeemed tokens kept at most; when that many are unexpired a new redemption is refused (fail closed).</summary>
    public const int RedeemedCapacity = 100_000;

    private sealed record State(ImmutableSortedDictionary<ResourceKey, Resource> Objects, long Revision);

    protected override async Task<IStoreWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        return new Transaction(this, _state);
    }

    protected override Task<Resource?> ReadAsync(ResourceKey key, CancellationToken cancellationToken) =>
        Task.FromResult(_state.Objects.GetValueOrDefault(key));

    protected override Task<ResourceList> ReadListAsync(string? kind, string? @namespace, CancellationToken cancellationToken)
    {
        var state = _state;
        var items = state.Objects.Values
            .Where(r => (kind is null || r.Kind == kind) && (@namespace is null || r.Metadata.Namespace == @namespace))
            .ToImmutableArray();
        return Task.FromResult(new ResourceList(items, state.Revision));
    }

    protected override Task<long> ReadRevisionAsync(CancellationToken cancellationToken) => Task.FromResult(_state.Revision);

    protected override Task<bool> RecordRedemptionAsync(string tokenId, long expiresAt, long now, CancellationToken cancellationToken)
    {
        lock (_redeemed)
        {
            if (_redeemed.TryGetValue(tokenId, out var expires) && expires > now) return Task.FromResult(false);
            if (_redeemed.Count >= RedeemedCapacity)
            {
                foreach (var (id, at) in _redeemed.ToArray())
                {
                    if (at <= now) _redeemed.Remove(id);
                }
            }
            if (_redeemed.Count >= RedeemedCapacity)
            {
                throw new InvalidOperationException($"more than {RedeemedCapacity} bootstrap tokens were redeemed within their lifetime; refusing until some expire");
            }
            _redeemed[tokenId] = expiresAt;
            return Task.FromResult(true);
        }
    }

    protected override Task<EventPage> ReadEventsAsync(long afterRevision, int limit, CancellationToken cancellationToken)
    {
        lock (_eventsLock)
        {
            // Events are in revision order; find the first one after afterRevision.
            var lo = 0;
            var hi = _events.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) / 2;
                if (_events[mid].Revision <= afterRevision) lo = mid + 1; else hi = mid;
            }
            var page = _events.Skip(lo).Take(limit).ToList();
            return Task.FromResult(new EventPage(page, _compactedThrough));
        }
    }

    public override ValueTask DisposeAsync()
    {
        _writeLock.Dispose();
        return base.DisposeAsync();
    }

    private void Commit(State state, List<StoreEvent> events)
    {
        lock (_eventsLock)
        {
            _events.AddRange(events);
            var excess = _events.Count - eventRetention;
            if (excess > 0)
            {
                _compactedThrough = _events[excess - 1].Revision;
                _events.RemoveRange(0, excess);
            }
            _state = state;
        }
    }

    private sealed class Transaction(InMemoryResourceStore store, State start) : IStoreWriteTransaction
    {
        private readonly ImmutableSortedDictionary<ResourceKey, Resource>.Builder _objects = start.Objects.ToBuilder();
        private readonly List<StoreEvent> _events = [];
        private bool _done;

        public long Revision => start.Revision;

        public Task<Resource?> GetAsync(ResourceKey key, CancellationToken cancellationToken) =>
            Task.FromResult(_objects.GetValueOrDefault(key));

        public Task<IReadOnlyList<Resource>> ListInNamespaceAsync(string @namespace, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<Resource>>([.. _objects.Values.Where(r => r.IsNamespaced && r.Metadata.Namespace == @namespace)]);

        public Task<IReadOnlyList<Resource>> ListKindAsync(string kind, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<Resource>>([.. _objects.Values.Where(r => r.Kind == kind)]);

        public Task WriteAsync(StoreEvent change, CancellationToken cancellationToken)
        {
            var key = ResourceKey.Of(change.Object);
            if (change.Type == StoreEventType.Deleted) _objects.Remove(key); else _objects[key] = change.Object;
            _events.Add(change);
            return Task.CompletedTask;
        }

        public Task CommitAsync(long revision, CancellationToken cancellationToken)
        {
            store.Commit(new State(_objects.ToImmutable(), revision), _events);
            Release();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            Release();
            return ValueTask.CompletedTask;
        }

        private void Release()
        {
            if (_done) return;
            _done = true;
            store._writeLock.Release();
        }
    }
}

/// <summary>Orders keys as lists are ordered: kind, namespace, name (ordinal).</summary>
public sealed class KeyOrder : IComparer<ResourceKey>
{
    public static readonly KeyOrder Instance = new();

    public int Compare(ResourceKey? x, ResourceKey? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        var c = string.CompareOrdinal(x.Kind, y.Kind);
        if (c != 0) return c;
        c = string.CompareOrdinal(x.Namespace ?? "", y.Namespace ?? "");
        return c != 0 ? c : string.CompareOrdinal(x.Name, y.Name);
    }
}
