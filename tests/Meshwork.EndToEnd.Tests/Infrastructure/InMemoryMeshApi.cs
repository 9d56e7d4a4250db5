using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>A config API held in memory: lets the runtime be tested with real processes but no control plane.</summary>
internal sealed class InMemoryMeshApi : IMeshApi
{
    private readonly ConcurrentDictionary<(string Kind, string? Namespace, string Name), Resource> _objects = new();

    public Task<ImmutableArray<Resource>> ApplyAsync(IReadOnlyList<Resource> resources, CancellationToken cancellationToken = default)
    {
        foreach (var resource in resources) Store(resource);
        return Task.FromResult(resources.ToImmutableArray());
    }

    public Resource Store(Resource resource)
    {
        _objects[(resource.Kind, resource.IsNamespaced ? resource.Metadata.Namespace ?? "default" : null, resource.Metadata.Name)] = resource;
        return resource;
    }

    public Task<Resource?> GetAsync(string kind, string? @namespace, string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_objects.TryGetValue((kind, @namespace, name), out var value) ? value : null);

    public Task<ImmutableArray<Resource>> ListAsync(string kind, string? @namespace, string? labelSelector = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(_objects.Where(o => o.Key.Kind == kind && (@namespace is null || o.Key.Namespace == @namespace)).Select(o => o.Value).ToImmutableArray());

    public ImmutableArray<Pod> Pods(string @namespace) => [.. _objects.Values.OfType<Pod>().Where(p => p.Metadata.Namespace == @namespace)];

    public Task<bool> DeleteAsync(string kind, string? @namespace, string name, CancellationToken cancellationToken = default) =>
        Task.FromResult(_objects.TryRemove((kind, @namespace, name), out _));

    public Task<Resource> PutAsync(Resource resource, CancellationToken cancellationToken = default) => Task.FromResult(Store(resource));

    public async IAsyncEnumerable<WatchEvent> WatchAsync(string kind, string? @namespace, string? resourceVersion = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // No watch: the runtime's periodic pass must converge without one.
        await Task.Delay(Timeout.Infinite, cancellationToken);
        yield break;
    }

    public Task<BootstrapTokenResponse> CreateBootstrapTokenAsync(string @namespace, string serviceAccount, CancellationToken cancellationToken = default) =>
        Task.FromResult(new BootstrapTokenResponse { Token = $"test-{@namespace}-{serviceAccount}", ExpiresAt = DateTimeOffset.UtcNow.AddHours(1) });
}
