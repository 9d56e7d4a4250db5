using System.Collections.Immutable;

namespace Meshwork.Store;

/// <summary>Why the store refused a request. Each kind maps to exactly one HTTP status at the API edge.</summary>
public enum StoreErrorKind
{
    /// <summary>The object (or the namespace it should live in) does not exist.</summary>
    NotFound,
    /// <summary>The object changed since the caller read it (stale metadata.resourceVersion).</summary>
    Conflict,
    /// <summary>The object itself is malformed (name, namespace, labels); <see cref="StoreException.Causes"/> say where.</summary>
    Invalid,
    /// <summary>A create found an object with the same kind, namespace and name.</summary>
    AlreadyExists,
    /// <summary>A watch asked for a resourceVersion older than the change feed still holds.</summary>
    Expired,
}

/// <summary>One reason an object was refused: the index of the object in the request (for batches), the field path and the message.</summary>
public sealed record StoreCause(int? Index, string Field, string Message);

public sealed class StoreException : Exception
{
    public StoreException(StoreErrorKind kind, string message, IEnumerable<StoreCause>? causes = null, ResourceKey? key = null)
        : base(message)
    {
        Kind = kind;
        Causes = causes is null ? [] : [.. causes];
        Key = key;
    }

    public StoreErrorKind Kind { get; }
    public ImmutableArray<StoreCause> Causes { get; }
    /// <summary>The object the error is about, when there is one.</summary>
    public ResourceKey? Key { get; }

    internal static StoreException NotFound(ResourceKey key) =>
        new(StoreErrorKind.NotFound, $"{key.Describe()} not found", key: key);

    internal static StoreException NamespaceNotFound(string @namespace) =>
        new(StoreErrorKind.NotFound, $"namespaces \"{@namespace}\" not found", key: new ResourceKey("Namespace", null, @namespace));

    internal static StoreException AlreadyExists(ResourceKey key) =>
        new(StoreErrorKind.AlreadyExists, $"{key.Describe()} already exists", key: key);

    internal static StoreException Conflict(ResourceKey key, string? expected, string? actual) =>
        new(StoreErrorKind.Conflict,
            $"Operation cannot be fulfilled on {key.Describe()}: the object has been modified (resourceVersion {expected}, now {actual}); please apply your changes to the latest version and try again",
            key: key);
}
