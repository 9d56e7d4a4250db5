using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy;

/// <summary>
/// Which route of a VirtualService a sidecar's request takes, or that none does.
/// <paramref name="Subset"/> is the chosen destination's subset (null: the whole service);
/// <paramref name="DestinationHost"/> its host, fully qualified (null when no route was taken).
/// </summary>
public sealed record RouteChoice(VirtualService? VirtualService, int? Route, string? Subset, bool NoMatch, ImmutableArray<Reason> Reasons, string? DestinationHost = null);

/// <summary>
/// The mesh gateway's routing as a sidecar applies it (Istio): a VirtualService without gateways, or listing
/// <c>mesh</c>, whose hosts name the service; its HTTP routes in order, the first that matches wins; a split names
/// its heaviest destination (load balancing decides among the others). Replays the routes generation pushes.
/// </summary>
public static class MeshRouting
{
    private static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(50);

    public static RouteChoice Route(MeshState mesh, string clientNamespace, ServiceTarget target, string method, string path, IReadOnlyDictionary<string, string> headers, int port)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(headers);
        var vs = ForSidecars(mesh, clientNamespace).FirstOrDefault(v => v.Spec.Hosts.Any(h => RouteHosts.Fqdn(h, v.Metadata.Namespace!) == target.Hostname));
        if (vs is null) return new RouteChoice(null, null, null, false, [new Reason($"No VirtualService routes {target.Hostname} for sidecars, so the request goes to the Service's endpoints.")]);

        var name = $"{vs.Metadata.Namespace}/{vs.Metadata.Name}";
        for (var i = 0; i < vs.Spec.Http.Length; i++)
        {
            var route = vs.Spec.Http[i];
            var applicable = route.Match.Where(m => m.Gateways.IsEmpty || m.Gateways.Contains("mesh")).ToList();
            if (!route.Match.IsEmpty && applicable.Count == 0) continue;
            if (!route.Match.IsEmpty && !applicable.Any(m => Matches(m, method, path, headers, port))) continue;
            var destination = route.Route.OrderByDescending(d => d.Weight).Select(d => d.Destination).FirstOrDefault();
            var field = $"spec.http[{i}]";
            var matched = route.Match.IsEmpty ? "it has no match conditions" : "its match conditions hold";
            var split = route.Route.Length > 1 ? $" (a split of {route.Route.Length} destinations; the heaviest is explained)" : "";
            var to = destination is null ? "nowhere" : destination.Subset is null ? destination.Host : $"{destination.Host} subset {destination.Subset}";
            return new RouteChoice(vs, i, destination?.Subset, false,
                [new Reason($"VirtualService {name} routes {method} {path}: route {i} is the first whose conditions hold ({matched}), to {to}{split}.", vs.Ref, field)],
                destination is null ? null : RouteHosts.Fqdn(destination.Host, vs.Metadata.Namespace!));
        }
        return new RouteChoice(vs, null, null, true,
            [new Reason($"VirtualService {name} routes {target.Hostname}, but none of its routes matches {method} {path}: the client sidecar answers 404 (flag NR).", vs.Ref, "spec.http")]);
    }

    private static bool Matches(HttpMatch match, string method, string path, IReadOnlyDictionary<string, string> headers, int port)
    {
        if (match.Port is { } wanted && wanted != port) return false;
        if (match.Method is { } m && !StringMatches(m, method)) return false;
        if (match.Uri is { } uri)
        {
            var withoutQuery = path.Split('?', 2)[0];
            if (!StringMatches(uri, uri.StartsWith("prefix:", StringComparison.Ordinal) ? path : withoutQuery)) return false;
        }
        foreach (var (header, value) in match.Headers)
        {
            if (!headers.TryGetValue(header.ToLowerInvariant(), out var actual) || !StringMatches(value, actual)) return false;
        }
        if (!match.QueryParams.IsEmpty)
        {
            var query = path.Contains('?', StringComparison.Ordinal) ? path.Split('?', 2)[1] : "";
            var pairs = query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.First().Length > 1 ? g.First()[1] : "");
            foreach (var (param, value) in match.QueryParams)
            {
                if (!pairs.TryGetValue(param, out var actual) || !StringMatches(value, actual)) return false;
            }
        }
        return true;
    }

    /// <summary>A StringMatch kept as "kind:value"; a regex matches the whole value (RE2 full match).</summary>
    private static bool StringMatches(string match, string value)
    {
        var colon = match.IndexOf(':', StringComparison.Ordinal);
        var text = match[(colon + 1)..];
        return match[..colon] switch
        {
            "exact" => value == text,
            "prefix" => value.StartsWith(text, StringComparison.Ordinal),
            _ => SafeRegex(text, value),
        };
    }

    private static bool SafeRegex(string pattern, string value)
    {
        try { return Regex.IsMatch(value, $"^(?:{pattern})$", RegexOptions.CultureInvariant, RegexBudget); }
        catch (Exception e) when (e is ArgumentException or RegexMatchTimeoutException) { return false; }
    }

    /// <summary>Istio's implicit mesh gateway: a VirtualService without gateways, or one listing "mesh", applies to sidecars.</summary>
    public static bool AppliesToMesh(VirtualService vs)
    {
        ArgumentNullException.ThrowIfNull(vs);
        return vs.Spec.Gateways.IsEmpty || vs.Spec.Gateways.Contains("mesh");
    }

    /// <summary>exportTo: empty or "*" is every namespace, "." the VirtualService's own.</summary>
    public static bool IsExportedTo(VirtualService vs, string clientNamespace)
    {
        ArgumentNullException.ThrowIfNull(vs);
        return vs.Spec.ExportTo.IsEmpty || vs.Spec.ExportTo.Contains("*")
            || (vs.Spec.ExportTo.Contains(".") && vs.Metadata.Namespace == clientNamespace)
            || vs.Spec.ExportTo.Contains(clientNamespace);
    }

    /// <summary>The VirtualServices a sidecar in <paramref name="clientNamespace"/> applies, oldest first (a host claimed twice goes to the oldest, as Istio keeps the first).</summary>
    public static IEnumerable<VirtualService> ForSidecars(MeshState mesh, string clientNamespace)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        return mesh.VirtualServices
            .Where(v => v.Metadata.Namespace is not null && AppliesToMesh(v) && IsExportedTo(v, clientNamespace) && !v.Spec.Http.IsEmpty)
            .OrderBy(v => v.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue)
            .ThenBy(v => v.Metadata.Namespace, StringComparer.Ordinal)
            .ThenBy(v => v.Metadata.Name, StringComparer.Ordinal);
    }
}
