using System.Collections.Immutable;
using System.Text.Json;
using Meshwork.Generation.Hashing;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Push.Deltas;

/// <summary>
/// The endpoint-level part of a delta: when an outbound service changed only in the endpoints of its
/// ports or subsets, the edits of those lists (<see cref="EndpointPatch"/>) instead of the whole
/// service. A pod added behind a Service is then one endpoint on the wire, not the Service's entry.
/// </summary>
public static class EndpointDiff
{
    /// <summary>
    /// The patches that turn <paramref name="current"/> into <paramref name="target"/>, or null when
    /// something other than endpoints changed, an edit cannot be expressed by key (a key listed twice,
    /// kept endpoints reordered), or the patches would carry most of the endpoints anyway.
    /// </summary>
    public static ImmutableArray<EndpointPatch>? Between(OutboundService current, OutboundService target)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(target);
        var info = ProtocolJson.Default.OutboundService;
        if (!JsonSerializer.SerializeToUtf8Bytes(WithoutEndpoints(current), info).AsSpan()
            .SequenceEqual(JsonSerializer.SerializeToUtf8Bytes(WithoutEndpoints(target), info)))
        {
            return null;
        }
        var patches = ImmutableArray.CreateBuilder<EndpointPatch>();
        int added = 0, total = 0;
        for (var p = 0; p < target.Ports.Length; p++)
        {
            // Equal skeletons: same ports and subsets, in the same order.
            var (before, after) = (current.Ports[p], target.Ports[p]);
            if (!Add(patches, ref added, ref total, target.Hostname, after.Port, subset: null, before.Endpoints, after.Endpoints)) return null;
            for (var s = 0; s < after.Subsets.Length; s++)
            {
                if (!Add(patches, ref added, ref total, target.Hostname, after.Port, after.Subsets[s].Name, before.Subsets[s].Endpoints, after.Subsets[s].Endpoints)) return null;
            }
        }
        return added * 2 <= total ? patches.ToImmutable() : null;
    }

    private static bool Add(ImmutableArray<EndpointPatch>.Builder patches, ref int added, ref int total, string hostname, int port, string? subset,
        ImmutableArray<UpstreamEndpoint> before, ImmutableArray<UpstreamEndpoint> after)
    {
        before = before.IsDefault ? [] : before;
        after = after.IsDefault ? [] : after;
        total += after.Length;
        if (Edit(before, after) is not { } edit) return false;
        if (edit.Removed.IsEmpty && edit.Added.IsEmpty) return true;
        added += edit.Added.Length;
        patches.Add(new EndpointPatch { Hostname = hostname, Port = port, Subset = subset, Removed = edit.Removed, Added = edit.Added });
        return true;
    }

    /// <summary>Endpoints removed (or changed) by key, and new (or changed) ones with their target index; null when kept ones moved or a key repeats.</summary>
    private static (ImmutableArray<string> Removed, ImmutableArray<PlacedEndpoint> Added)? Edit(ImmutableArray<UpstreamEndpoint> before, ImmutableArray<UpstreamEndpoint> after)
    {
        var info = ProtocolJson.Default.UpstreamEndpoint;
        var beforeHashes = EncodedList.Of(before, info).ItemHashes;
        var afterHashes = EncodedList.Of(after, info).ItemHashes;
        var old = new Dictionary<string, (int Index, byte[] Hash)>(before.Length, StringComparer.Ordinal);
        for (var i = 0; i < before.Length; i++)
        {
            if (!old.TryAdd(SnapshotParts.EndpointKey(before[i]), (i, beforeHashes[i]))) return null;
        }
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var added = ImmutableArray.CreateBuilder<PlacedEndpoint>();
        var kept = new HashSet<string>(StringComparer.Ordinal);
        var lastKept = -1;
        for (var i = 0; i < after.Length; i++)
        {
            var key = SnapshotParts.EndpointKey(after[i]);
            if (!seen.Add(key)) return null;
            if (old.TryGetValue(key, out var was) && was.Hash.AsSpan().SequenceEqual(afterHashes[i]))
            {
                // The kept endpoints must keep their relative order: the patch only removes and inserts.
                if (was.Index < lastKept) return null;
                lastKept = was.Index;
                kept.Add(key);
                continue;
            }
            added.Add(new PlacedEndpoint { Index = i, Endpoint = after[i] });
        }
        var removed = before.Select(SnapshotParts.EndpointKey).Where(k => !kept.Contains(k)).ToImmutableArray();
        return (removed, added.ToImmutable());
    }

    private static OutboundService WithoutEndpoints(OutboundService service) => service with
    {
        Ports = [.. service.Ports.Select(p => p with { Endpoints = [], Subsets = [.. p.Subsets.Select(s => s with { Endpoints = [] })] })],
    };
}
