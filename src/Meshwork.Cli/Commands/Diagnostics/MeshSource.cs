using Meshwork.Api;
using Meshwork.Cli.Commands.Resources;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>The mesh the diagnostics reason about: the live one behind the config API, or manifest files offline.</summary>
internal static class MeshSource
{
    /// <summary>Every object of every kind but Secrets (no diagnostic needs key material), ordered as the control plane orders them.</summary>
    public static async Task<MeshState> LiveAsync(MeshApiClient client, CancellationToken cancellationToken) =>
        MeshState.From(await LiveResourcesAsync(client, cancellationToken).ConfigureAwait(false));

    /// <summary>The live objects, older first: policy breaks ties in age by list order, as the control plane's snapshot does.</summary>
    public static async Task<IReadOnlyList<Resource>> LiveResourcesAsync(MeshApiClient client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        var all = new List<Resource>();
        foreach (var kind in KindRegistry.All)
        {
            if (kind.Kind == "Secret") continue;
            all.AddRange(await client.ListAsync(kind.Kind, null, null, cancellationToken).ConfigureAwait(false));
        }
        return [.. all
            .OrderBy(r => r.Metadata.CreationTimestamp ?? DateTimeOffset.MinValue)
            .ThenBy(r => long.TryParse(r.Metadata.ResourceVersion, out var v) ? v : 0)];
    }

    /// <summary>The files' objects when there are files, else the live mesh; null when a file does not parse.</summary>
    public static async Task<MeshState?> LoadAsync(ResourceCli cli, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cli);
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count > 0) return FromFiles(cli, paths);
        using var client = cli.Connect();
        return await LiveAsync(client, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The files' objects; null (after printing the diagnostics) when one of them does not parse.</summary>
    public static MeshState? FromFiles(ResourceCli cli, IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(cli);
        var read = ResourceCli.ReadManifests(paths, "default");
        return cli.ReportDiagnostics(read) ? null : MeshState.From(AsApplied(read.Resources));
    }

    /// <summary>
    /// The objects as applying the files in order leaves them: a later document with the same kind, namespace
    /// and name updates the earlier object (content of the last, place in age of the first), as `apply` does.
    /// </summary>
    public static IReadOnlyList<Resource> AsApplied(IEnumerable<Resource> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var applied = new List<Resource>();
        var index = new Dictionary<(string, string?, string), int>();
        foreach (var resource in documents)
        {
            var key = (resource.Kind, resource.IsNamespaced ? resource.Metadata.Namespace ?? "default" : null, resource.Metadata.Name);
            if (index.TryGetValue(key, out var at)) applied[at] = resource;
            else
            {
                index[key] = applied.Count;
                applied.Add(resource);
            }
        }
        return applied;
    }
}
