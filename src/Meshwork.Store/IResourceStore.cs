using System.Collections.Immutable;
using Meshwork.Model.Resources;

namespace Meshwork.Store;

/// <summary>What <see cref="IResourceStore.ListAsync"/> returns: the objects and the revision they were read at.</summary>
public sealed record ResourceList(ImmutableArray<Resource> Items, long Revision);

/// <summary>Filters for a list. Null <see cref="Kind"/> lists every kind; null <see cref="Namespace"/> every namespace.</summary>
public sealed record ListOptions
{
    public string? Kind { get; init; }
    public string? Namespace { get; init; }
    public LabelSelectorQuery? LabelSelector { get; init; }
}

/// <summary>What an apply did to one object, in kubectl's words.</summary>
public enum ApplyOutcome { Created, Configured, Unchanged }

public sealed record AppliedResource(Resource Resource, ApplyOutcome Outcome);

public enum StoreEventType { Added, Modified, Deleted }

/// <summary>
/// One change in the feed. <see cref="Revision"/> equals the object's metadata.resourceVersion (for a
/// delete: the revision of the delete; the object is its last state).
/// </summary>
public sealed record StoreEvent(long Revision, StoreEventType Type, Resource Object);

/// <summary>
/// The configuration store. Every write is a transaction; every object carries server-set
/// metadata: resourceVersion (one global, monotonically increasing revision), uid,
/// creationTimestamp and generation (bumped when anything but metadata and status changes).
/// Failures are <see cref="StoreException"/>s with a <see cref="StoreErrorKind"/>.
/// </summary>
public interface IResourceStore : IAsyncDisposable
{
    /// <summary>The object, or null when it does not exist.</summary>
    Task<Resource?> FindAsync(ResourceKey key, CancellationToken cancellationToken = default);

    Task<ResourceList> ListAsync(ListOptions options, CancellationToken cancellationToken = default);

    /// <summary>The newest revision; the change feed holds everything after it that happens next.</summary>
    Task<long> GetRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Creates or updates every object in ONE transaction: all land or none does. An object that
    /// names a resourceVersion must still be at it (Conflict otherwise). Results keep input order.
    /// </summary>
    Task<ImmutableArray<AppliedResource>> ApplyAsync(IReadOnlyList<Resource> resources, CancellationToken cancellationToken = default);

    /// <summary>Creates one object; AlreadyExists when it is there.</summary>
    Task<Resource> CreateAsync(Resource resource, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes one object (create or replace). With metadata.resourceVersion set this is a
    /// compare-and-swap: Conflict when the stored object is at another version, NotFound when gone.
    /// </summary>
    Task<Resource> PutAsync(Resource resource, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes one object and returns what was deleted, the object first. Deleting a Namespace
    /// deletes everything in it in the same transaction. NotFound when the object does not exist.
    /// </summary>
    Task<ImmutableArray<Resource>> DeleteAsync(ResourceKey key, string? expectedResourceVersion = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every change after <paramref name="fromRevision"/>, in order, then each new change as it
    /// commits, until cancelled. Expired when the feed no longer holds revisions that old.
    /// </summary>
    IAsyncEnumerable<StoreEvent> WatchAsync(long fromRevision, CancellationToken cancellationToken = default);

    /// <summary>
    /// Records bootstrap token <paramref name="tokenId"/> as used until <paramref name="expiresAt"/>, for every
    /// replica that shares the store: true the first time, false when it is already recorded (and its expiry
    /// has not passed). This is what makes a token one-time across replicas and restarts.
    /// </summary>
    Task<bool> TryRedeemTokenAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}
