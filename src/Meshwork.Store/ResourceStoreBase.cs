using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>A page of the change feed: events after the asked revision, and the newest revision the feed has forgotten.</summary>
public sealed record EventPage(IReadOnlyList<StoreEvent> Events, long CompactedThrough);

/// <summary>
/// One serialized write transaction of a backend. It sees its own writes. Nothing is visible to
/// readers until <see cref="CommitAsync"/>; disposing without committing rolls everything back.
/// </summary>
public interface IStoreWriteTransaction : IAsyncDisposable
{
    /// <summary>The store's revision when the transaction began.</summary>
    long Revision { get; }
    Task<Resource?> GetAsync(ResourceKey key, CancellationToken cancellationToken);
    /// <summary>Every object of every kind in <paramref name="namespace"/>.</summary>
    Task<IReadOnlyList<Resource>> ListInNamespaceAsync(string @namespace, CancellationToken cancellationToken);
    /// <summary>Every object of <paramref name="kind"/> in every namespace.</summary>
    Task<IReadOnlyList<Resource>> ListKindAsync(string kind, CancellationToken cancellationToken);
    /// <summary>Stores <see cref="StoreEvent.Object"/> (Added/Modified) or removes it (Deleted), and appends the event to the feed.</summary>
    Task WriteAsync(StoreEvent change, CancellationToken cancellationToken);
    /// <summary>Makes every write visible at once and records <paramref name="revision"/> as the store's revision.</summary>
    Task CommitAsync(long revision, CancellationToken cancellationToken);
}

/// <summary>
/// The store semantics every backend shares (validation, server-set metadata, optimistic
/// concurrency, namespace cascade, the change feed loop). A backend supplies reads, one
/// serialized write transaction, and the event log; see <see cref="InMemory.InMemoryResourceStore"/>.
/// </summary>
public abstract class ResourceStoreBase : IResourceStore
{
    private readonly ChangeSignal _committed = new();

    protected ResourceStoreBase(TimeProvider? time)
    {
        Time = time ?? TimeProvider.System;
    }

    protected TimeProvider Time { get; }

    /// <summary>How often a watcher looks at the event log when no commit in this process woke it (writers in other processes).</summary>
    protected virtual TimeSpan PollInterval => TimeSpan.FromSeconds(1);

    protected abstract Task<IStoreWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken);
    protected abstract Task<Resource?> ReadAsync(ResourceKey key, CancellationToken cancellationToken);
    /// <summary>Objects of <paramref name="kind"/> (all when null) in <paramref name="namespace"/> (all when null), ordered by kind, namespace, name.</summary>
    protected abstract Task<ResourceList> ReadListAsync(string? kind, string? @namespace, CancellationToken cancellationToken);
    protected abstract Task<long> ReadRevisionAsync(CancellationToken cancellationToken);
    protected abstract Task<EventPage> ReadEventsAsync(long afterRevision, int limit, CancellationToken cancellationToken);
    /// <summary>
    /// Inserts the token's row unless one with a later expiry than <paramref name="now"/> is there (times in Unix
    /// seconds), forgetting rows whose expiry passed; true when it inserted (or replaced an expired row).
    /// </summary>
    protected abstract Task<bool> RecordRedemptionAsync(string tokenId, long expiresAt, long now, CancellationToken cancellationToken);

    /// <summary>Token ids are the issuer's random hex; anything longer is not one.</summary>
    public const int MaxTokenIdLength = 64;

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    public Task<Resource?> FindAsync(ResourceKey key, CancellationToken cancellationToken = default) => ReadAsync(key, cancellationToken);

    public Task<long> GetRevisionAsync(CancellationToken cancellationToken = default) => ReadRevisionAsync(cancellationToken);

    public Task<bool> TryRedeemTokenAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tokenId);
        if (tokenId.Length > MaxTokenIdLength) throw new ArgumentException($"a token id has at most {MaxTokenIdLength} characters", nameof(tokenId));
        return RecordRedemptionAsync(tokenId, expiresAt.ToUnixTimeSeconds(), Time.GetUtcNow().ToUnixTimeSeconds(), cancellationToken);
    }

    public async Task<ResourceList> ListAsync(ListOptions options, CancellationToken cancellationToken = default)
    {
        var list = await ReadListAsync(options.Kind, options.Namespace, cancellationToken).ConfigureAwait(false);
        if (options.LabelSelector is { IsEmpty: false } selector)
        {
            list = list with { Items = [.. list.Items.Where(r => selector.Matches(r.Metadata.Labels))] };
        }
        return list;
    }

    public async Task<ImmutableArray<AppliedResource>> ApplyAsync(IReadOnlyList<Resource> resources, CancellationToken cancellationToken = default)
    {
        var prepared = resources.Select(WriteRules.Normalize).ToList();
        WriteRules.Validate(prepared);
        var results = ImmutableArray.CreateBuilder<AppliedResource>(prepared.Count);
        await using var tx = await BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var revision = tx.Revision;
        var namespacesInBatch = prepared.OfType<Namespace>().Select(n => n.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        await RequireNamespacesAsync(tx, prepared, namespacesInBatch, cancellationToken).ConfigureAwait(false);
        var clusterIps = prepared.Any(r => r is Service) ? await ClusterIpsAsync(tx, cancellationToken).ConfigureAwait(false) : null;
        var podRanges = prepared.Any(r => r is Node) ? await PodRangesAsync(tx, cancellationToken).ConfigureAwait(false) : null;
        for (var i = 0; i < prepared.Count; i++)
        {
            var key = ResourceKey.Of(prepared[i]);
            var existing = await tx.GetAsync(key, cancellationToken).ConfigureAwait(false);
            var resource = clusterIps is null ? prepared[i] : clusterIps.Assign(prepared[i], existing, prepared.Count == 1 ? null : i);
            podRanges?.Check(resource, prepared.Count == 1 ? null : i);
            if (existing is not null && resource.Metadata.ResourceVersion is { } expected && expected != existing.Metadata.ResourceVersion)
            {
                throw StoreException.Conflict(key, expected, existing.Metadata.ResourceVersion);
            }
            // As kubectl apply against a status subresource: what the runtime reported stays.
            var candidate = existing is null ? resource : WriteRules.KeepStatus(resource, existing);
            var next = WriteRules.Stamp(candidate, existing, revision + 1, Time.GetUtcNow());
            if (existing is not null && WriteRules.IsUnchanged(next, existing))
            {
                results.Add(new AppliedResource(existing, ApplyOutcome.Unchanged));
                continue;
            }
            revision++;
            await tx.WriteAsync(new StoreEvent(revision, existing is null ? StoreEventType.Added : StoreEventType.Modified, next), cancellationToken).ConfigureAwait(false);
            results.Add(new AppliedResource(next, existing is null ? ApplyOutcome.Created : ApplyOutcome.Configured));
        }
        await CommitAsync(tx, revision, cancellationToken).ConfigureAwait(false);
        return results.MoveToImmutable();
    }

    public async Task<Resource> CreateAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        resource = WriteRules.Normalize(resource);
        WriteRules.Validate([resource]);
        var key = ResourceKey.Of(resource);
        await using var tx = await BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await RequireNamespacesAsync(tx, [resource], EmptySet, cancellationToken).ConfigureAwait(false);
        if (await tx.GetAsync(key, cancellationToken).ConfigureAwait(false) is not null)
        {
            throw StoreException.AlreadyExists(key);
        }
        if (resource is Service) resource = (await ClusterIpsAsync(tx, cancellationToken).ConfigureAwait(false)).Assign(resource, null);
        if (resource is Node) (await PodRangesAsync(tx, cancellationToken).ConfigureAwait(false)).Check(resource);
        var next = WriteRules.Stamp(resource, null, tx.Revision + 1, Time.GetUtcNow());
        await tx.WriteAsync(new StoreEvent(tx.Revision + 1, StoreEventType.Added, next), cancellationToken).ConfigureAwait(false);
        await CommitAsync(tx, tx.Revision + 1, cancellationToken).ConfigureAwait(false);
        return next;
    }

    public async Task<Resource> PutAsync(Resource resource, CancellationToken cancellationToken = default)
    {
        resource = WriteRules.Normalize(resource);
        WriteRules.Validate([resource]);
        var key = ResourceKey.Of(resource);
        await using var tx = await BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        await RequireNamespacesAsync(tx, [resource], EmptySet, cancellationToken).ConfigureAwait(false);
        var existing = await tx.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (resource.Metadata.ResourceVersion is { } expected)
        {
            if (existing is null) throw StoreException.NotFound(key);
            if (expected != existing.Metadata.ResourceVersion) throw StoreException.Conflict(key, expected, existing.Metadata.ResourceVersion);
        }
        if (resource is Service) resource = (await ClusterIpsAsync(tx, cancellationToken).ConfigureAwait(false)).Assign(resource, existing);
        if (resource is Node) (await PodRangesAsync(tx, cancellationToken).ConfigureAwait(false)).Check(resource);
        var next = WriteRules.Stamp(resource, existing, tx.Revision + 1, Time.GetUtcNow());
        if (existing is not null && WriteRules.IsUnchanged(next, existing))
        {
            return existing;
        }
        await tx.WriteAsync(new StoreEvent(tx.Revision + 1, existing is null ? StoreEventType.Added : StoreEventType.Modified, next), cancellationToken).ConfigureAwait(false);
        await CommitAsync(tx, tx.Revision + 1, cancellationToken).ConfigureAwait(false);
        return next;
    }

    /// <summary>
    /// The clusterIPs stored Services hold, read in the write transaction: writers are serialized,
    /// so no other write can take an address between this read and the commit.
    /// </summary>
    private static async Task<ClusterIpAllocation> ClusterIpsAsync(IStoreWriteTransaction tx, CancellationToken cancellationToken)
    {
        var services = await tx.ListKindAsync("Service", cancellationToken).ConfigureAwait(false);
        return new ClusterIpAllocation(ServiceSpec.ClusterIpRange, services.OfType<Service>().Select(s => s.Spec.ClusterIp));
    }

    /// <summary>The pod ranges stored Nodes hold, read in the write transaction (see <see cref="ClusterIpsAsync"/>).</summary>
    private static async Task<PodRangeAllocation> PodRangesAsync(IStoreWriteTransaction tx, CancellationToken cancellationToken) =>
        new(await tx.ListKindAsync("Node", cancellationToken).ConfigureAwait(false));

    public async Task<ImmutableArray<Resource>> DeleteAsync(ResourceKey key, string? expectedResourceVersion = null, CancellationToken cancellationToken = default)
    {
        await using var tx = await BeginWriteAsync(cancellationToken).ConfigureAwait(false);
        var existing = await tx.GetAsync(key, cancellationToken).ConfigureAwait(false) ?? throw StoreException.NotFound(key);
        if (expectedResourceVersion is not null && expectedResourceVersion != existing.Metadata.ResourceVersion)
        {
            throw StoreException.Conflict(key, expectedResourceVersion, existing.Metadata.ResourceVersion);
        }
        var revision = tx.Revision;
        var deleted = ImmutableArray.CreateBuilder<Resource>();
        // The namespace goes last so that a watcher never sees objects outlive their namespace.
        var victims = new List<Resource>();
        if (existing is Namespace)
        {
            victims.AddRange(await tx.ListInNamespaceAsync(existing.Metadata.Name, cancellationToken).ConfigureAwait(false));
        }
        victims.Add(existing);
        foreach (var victim in victims)
        {
            revision++;
            var last = victim with { Metadata = victim.Metadata with { ResourceVersion = Revision(revision) } };
            await tx.WriteAsync(new StoreEvent(revision, StoreEventType.Deleted, last), cancellationToken).ConfigureAwait(false);
        }
        await CommitAsync(tx, revision, cancellationToken).ConfigureAwait(false);
        deleted.Add(existing);
        deleted.AddRange(victims.Take(victims.Count - 1));
        return deleted.ToImmutable();
    }

    public async IAsyncEnumerable<StoreEvent> WatchAsync(long fromRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var after = fromRevision;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            // Take the signal before reading, so a commit between the read and the wait is not missed.
            var woken = _committed.NextAsync();
            var page = await ReadEventsAsync(after, 500, cancellationToken).ConfigureAwait(false);
            if (after < page.CompactedThrough)
            {
                throw new StoreException(StoreErrorKind.Expired,
                    $"too old resource version: {after} (the change feed starts after {page.CompactedThrough}); list again and watch from the list's resourceVersion");
            }
            foreach (var change in page.Events)
            {
                after = change.Revision;
                yield return change;
            }
            if (page.Events.Count == 0)
            {
                try
                {
                    await woken.WaitAsync(PollInterval, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Poll: another process (or replica) may have written.
                }
            }
        }
    }

    /// <summary>
    /// Wakes every watcher to read the event log now: a backend calls it when it learns that another
    /// process committed (a database notification), or that it may have missed such news (a reconnect).
    /// </summary>
    protected void SignalChanged() => _committed.Pulse();

    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>();

    internal static string Revision(long revision) => revision.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task CommitAsync(IStoreWriteTransaction tx, long revision, CancellationToken cancellationToken)
    {
        if (revision == tx.Revision) return;
        await tx.CommitAsync(revision, cancellationToken).ConfigureAwait(false);
        _committed.Pulse();
    }

    private static async Task RequireNamespacesAsync(IStoreWriteTransaction tx, IEnumerable<Resource> resources, IReadOnlySet<string> created, CancellationToken cancellationToken)
    {
        var checkedNamespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in resources)
        {
            if (!resource.IsNamespaced || resource.Metadata.Namespace is not { } ns || created.Contains(ns) || !checkedNamespaces.Add(ns)) continue;
            if (await tx.GetAsync(new ResourceKey("Namespace", null, ns), cancellationToken).ConfigureAwait(false) is null)
            {
                throw StoreException.NamespaceNotFound(ns);
            }
        }
    }

    /// <summary>A pulse that wakes every waiter once.</summary>
    private sealed class ChangeSignal
    {
        private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task NextAsync() => Volatile.Read(ref _next).Task;

        public void Pulse() =>
            Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
