using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// Applies <see cref="EndpointPatch"/>es to outbound services. Strict like the rest of delta
/// application: a patch naming a service, port, subset or endpoint the proxy lacks, an index past the
/// list's end, or a key twice, is refused, and the proxy asks for a full snapshot.
/// </summary>
public static class EndpointPatchApplier
{
    /// <summary>The services with every patch applied (same order), or default with the reason it does not apply.</summary>
    public static ImmutableArray<OutboundService> Apply(ImmutableArray<OutboundService> services, ImmutableArray<EndpointPatch> patches, out string? error)
    {
        error = null;
        if (patches.IsDefaultOrEmpty) return services;
        var index = new Dictionary<string, int>(services.Length, StringComparer.Ordinal);
        for (var i = 0; i < services.Length; i++) index[SnapshotParts.OutboundKey(services[i])] = i;
        var builder = services.ToBuilder();
        foreach (var patch in patches)
        {
            if (!index.TryGetValue(patch.Hostname, out var at))
            {
                error = $"delta edits the endpoints of '{patch.Hostname}', which this proxy does not have";
                return default;
            }
            var patched = Patch(builder[at], patch, out error);
            if (patched is null) return default;
            builder[at] = patched;
        }
        return builder.MoveToImmutable();
    }

    private static OutboundService? Patch(OutboundService service, EndpointPatch patch, out string? error)
    {
        error = null;
        var portAt = IndexWhere(service.Ports, p => p.Port == patch.Port);
        if (portAt < 0)
        {
            error = $"delta edits port {patch.Port} of '{patch.Hostname}', which has no such port here";
            return null;
        }
        var port = service.Ports[portAt];
        if (patch.Subset is null)
        {
            var endpoints = Edit(port.Endpoints, patch, out error);
            return endpoints.IsDefault ? null : service with { Ports = service.Ports.SetItem(portAt, port with { Endpoints = endpoints }) };
        }
        var subsetAt = IndexWhere(port.Subsets, s => s.Name == patch.Subset);
        if (subsetAt < 0)
        {
            error = $"delta edits subset '{patch.Subset}' of '{patch.Hostname}':{patch.Port}, which has no such subset here";
            return null;
        }
        var subset = port.Subsets[subsetAt];
        var members = Edit(subset.Endpoints, patch, out error);
        return members.IsDefault
            ? null
            : service with { Ports = service.Ports.SetItem(portAt, port with { Subsets = port.Subsets.SetItem(subsetAt, subset with { Endpoints = members }) }) };
    }

    private static int IndexWhere<T>(ImmutableArray<T> items, Func<T, bool> match)
    {
        for (var i = 0; i < items.Length; i++)
        {
            if (match(items[i])) return i;
        }
        return -1;
    }

    /// <summary>The list without the removed keys, the added ones inserted at their indexes; default with the reason when that cannot be done.</summary>
    public static ImmutableArray<UpstreamEndpoint> Edit(ImmutableArray<UpstreamEndpoint> endpoints, EndpointPatch patch, out string? error)
    {
        ArgumentNullException.ThrowIfNull(patch);
        error = null;
        var list = new List<UpstreamEndpoint>(endpoints.IsDefault ? [] : endpoints);
        // Keys as (address, port) values: the list's entries are looked up without a string made for each.
        var keys = new HashSet<(string Address, int Port)>(list.Count);
        foreach (var endpoint in list)
        {
            if (!keys.Add(Key(endpoint)))
            {
                error = $"'{patch.Hostname}' lists endpoint {SnapshotParts.EndpointKey(endpoint)} twice here, so it cannot be edited by key";
                return default;
            }
        }
        foreach (var gone in patch.Removed.IsDefault ? [] : patch.Removed)
        {
            if (!TryParseKey(gone, out var key) || !keys.Remove(key))
            {
                error = $"delta removes endpoint {gone} of '{patch.Hostname}', which this proxy does not have";
                return default;
            }
        }
        if (!patch.Removed.IsDefaultOrEmpty) list.RemoveAll(e => !keys.Contains(Key(e)));
        var previous = -1;
        foreach (var placed in patch.Added.IsDefault ? [] : patch.Added)
        {
            if (placed.Index <= previous || placed.Index > list.Count || !keys.Add(Key(placed.Endpoint)))
            {
                error = $"delta adds endpoint {SnapshotParts.EndpointKey(placed.Endpoint)} of '{patch.Hostname}' at index {placed.Index}, which does not fit the list this proxy has";
                return default;
            }
            list.Insert(placed.Index, placed.Endpoint);
            previous = placed.Index;
        }
        return [.. list];
    }

    private static (string Address, int Port) Key(UpstreamEndpoint endpoint) => (endpoint.Address, endpoint.Port);

    /// <summary>
    /// The (address, port) of a key written by <see cref="SnapshotParts.EndpointKey"/>: the port follows the last
    /// colon (an IPv6 address has colons of its own) and must read back as written, so that "a:05" is not "a:5".
    /// </summary>
    private static bool TryParseKey(string key, out (string Address, int Port) parsed)
    {
        parsed = default;
        var colon = key.LastIndexOf(':');
        if (colon < 0) return false;
        var port = key.AsSpan(colon + 1);
        if (!int.TryParse(port, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var number)
            || !port.SequenceEqual(number.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            return false;
        }
        parsed = (key[..colon], number);
        return true;
    }
}
