using System.Collections.Immutable;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Api;

public enum WatchEventType { Added, Modified, Deleted }

public sealed record WatchEvent(WatchEventType Type, Resource Object);

/// <summary>A Kubernetes-style Status error from the config API (reason: NotFound, Conflict, Invalid, Unauthorized, ...).</summary>
public sealed class MeshApiException(int statusCode, string reason, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Reason { get; } = reason;
    /// <summary>status.details.causes: the field (for a batch, <c>items[i].</c> + path) and what is wrong with it.</summary>
    public ImmutableArray<MeshApiCause> Causes { get; init; } = [];
}

public sealed record MeshApiCause(string Field, string Message);

/// <summary>What an apply did to one object, in kubectl's words: created, configured, unchanged.</summary>
public sealed record AppliedObject(Resource Resource, string Outcome);

/// <summary>
/// The config API as the CLI, the runtime and the dashboard use it. Kinds are named as kubectl
/// accepts them (Kind, plural, or short name: "pa", "svc", "deploy", ...).
/// </summary>
public interface IMeshApi
{
    /// <summary>Creates or updates all resources in one transaction: all land or none does.</summary>
    Task<ImmutableArray<Resource>> ApplyAsync(IReadOnlyList<Resource> resources, CancellationToken cancellationToken = default);
    Task<Resource?> GetAsync(string kind, string? @namespace, string name, CancellationToken cancellationToken = default);
    /// <summary><paramref name="namespace"/> null lists across all namespaces.</summary>
    Task<ImmutableArray<Resource>> ListAsync(string kind, string? @namespace, string? labelSelector = null, CancellationToken cancellationToken = default);
    Task<bool> DeleteAsync(string kind, string? @namespace, string name, CancellationToken cancellationToken = default);
    /// <summary>Writes one object; with a resourceVersion set, fails with Conflict when it is stale.</summary>
    Task<Resource> PutAsync(Resource resource, CancellationToken cancellationToken = default);
    IAsyncEnumerable<WatchEvent> WatchAsync(string kind, string? @namespace, string? resourceVersion = null, CancellationToken cancellationToken = default);
    Task<BootstrapTokenResponse> CreateBootstrapTokenAsync(string @namespace, string serviceAccount, CancellationToken cancellationToken = default);
}
