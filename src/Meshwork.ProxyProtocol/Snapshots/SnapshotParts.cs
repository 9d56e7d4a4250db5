using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// The parts of a <see cref="ProxySnapshot"/> and how a delta addresses them: the one place that
/// knows which parts are keyed, by what, and in which order a snapshot lists them. Generation
/// lists keyed parts in this order; the server sends a delta only for snapshots that do, so that
/// base + delta is the target, element for element.
/// </summary>
public static class SnapshotParts
{
    /// <summary>
    /// Every property of <see cref="ProxySnapshot"/>; a new one must be hashed, diffed and written too, and held
    /// (<see cref="HeldSnapshot"/>, <see cref="SnapshotPartHashes.Held"/>, and the control plane's HeldDiff), or a
    /// reconnecting proxy's parts no longer make its version and it is always sent its snapshot whole.
    /// </summary>
    public static readonly ImmutableArray<string> Properties =
        [nameof(ProxySnapshot.Version), nameof(ProxySnapshot.Node), nameof(ProxySnapshot.Inbound), nameof(ProxySnapshot.Outbound),
         nameof(ProxySnapshot.TrustBundle), nameof(ProxySnapshot.TrustDomains), nameof(ProxySnapshot.Gateways), nameof(ProxySnapshot.HttpRoutes),
         nameof(ProxySnapshot.InboundPassthrough), nameof(ProxySnapshot.Scope)];

    public static int InboundKey(InboundPort port) => port.Port;

    public static string OutboundKey(OutboundService service) => service.Hostname;

    /// <summary>An endpoint of one list is known by where it is dialled: "address:port".</summary>
    public static string EndpointKey(UpstreamEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return string.Concat(endpoint.Address, ":", endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Outbound services are listed by namespace, then name (ordinal).</summary>
    public static int CompareOutbound(OutboundService a, OutboundService b)
    {
        var byNamespace = string.CompareOrdinal(a.Namespace, b.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(a.Name, b.Name);
    }

    public static int CompareInbound(InboundPort a, InboundPort b) => a.Port.CompareTo(b.Port);

    /// <summary>True when every keyed part is listed in strictly increasing order (so a delta can rebuild it).</summary>
    public static bool InCanonicalOrder(ImmutableArray<InboundPort> inbound) => StrictlyIncreasing(inbound, CompareInbound);

    /// <inheritdoc cref="InCanonicalOrder(ImmutableArray{InboundPort})"/>
    public static bool InCanonicalOrder(ImmutableArray<OutboundService> outbound) => StrictlyIncreasing(outbound, CompareOutbound);

    private static bool StrictlyIncreasing<T>(ImmutableArray<T> items, Comparison<T> compare)
    {
        for (var i = 1; i < items.Length; i++)
        {
            if (compare(items[i - 1], items[i]) >= 0) return false;
        }
        return true;
    }
}
