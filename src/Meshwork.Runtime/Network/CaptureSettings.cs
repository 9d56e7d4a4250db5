using System.Collections.Immutable;
using System.Globalization;

namespace Meshwork.Runtime.Network;

/// <summary>What a meshed pod's capture rules redirect and what they leave alone (Istio's istio-iptables flags).</summary>
public sealed record CaptureSettings
{
    public const string ExcludeInboundPortsAnnotation = "traffic.sidecar.istio.io/excludeInboundPorts";
    public const string ExcludeOutboundPortsAnnotation = "traffic.sidecar.istio.io/excludeOutboundPorts";
    public const string IncludeOutboundIpRangesAnnotation = "traffic.sidecar.istio.io/includeOutboundIPRanges";

    public const int InboundCapturePort = 15006;
    public const int OutboundCapturePort = 15001;
    /// <summary>Istio's merged metrics port and its health port: reachable on the pod IP without capture.</summary>
    public static readonly ImmutableArray<int> AlwaysExcludedInboundPorts = [15090, 15021];
    /// <summary>The sidecar's listeners on the pod's loopback (admin, outbound, inbound capture): never reachable from outside the pod.</summary>
    public static readonly ImmutableArray<int> ProxyOwnPorts = [15000, 15001, 15006];

    /// <summary>The sidecar's uid: its own connections leave the pod as they are.</summary>
    public required int ProxyUid { get; init; }
    public ImmutableArray<int> ExcludedInboundPorts { get; init; } = [];
    public ImmutableArray<int> ExcludedOutboundPorts { get; init; } = [];
    /// <summary>Destinations whose outbound traffic is captured; null captures every destination ("*").</summary>
    public ImmutableArray<Ipv4Range>? IncludedOutboundRanges { get; init; }

    /// <summary>Reads the pod's traffic annotations strictly: a value that is not understood stops the pod rather than capturing less.</summary>
    public static CaptureSettings FromAnnotations(int proxyUid, IReadOnlyDictionary<string, string> annotations)
    {
        var settings = new CaptureSettings
        {
            ProxyUid = proxyUid,
            ExcludedInboundPorts = Ports(annotations, ExcludeInboundPortsAnnotation),
            ExcludedOutboundPorts = Ports(annotations, ExcludeOutboundPortsAnnotation),
        };
        if (!annotations.TryGetValue(IncludeOutboundIpRangesAnnotation, out var ranges)) return settings;
        var parts = ranges.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Contains("*")) return settings;
        var parsed = ImmutableArray.CreateBuilder<Ipv4Range>();
        foreach (var part in parts)
        {
            if (!Ipv4Range.TryParse(part, out var range)) throw new FormatException($"annotation {IncludeOutboundIpRangesAnnotation}: \"{part}\" is not an IPv4 CIDR such as 10.0.0.0/8 or *");
            parsed.Add(range);
        }
        return settings with { IncludedOutboundRanges = parsed.ToImmutable() };
    }

    private static ImmutableArray<int> Ports(IReadOnlyDictionary<string, string> annotations, string name)
    {
        if (!annotations.TryGetValue(name, out var value)) return [];
        var ports = ImmutableArray.CreateBuilder<int>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new FormatException($"annotation {name}: \"{part}\" is not a port number (1-65535)");
            }
            ports.Add(port);
        }
        return ports.ToImmutable();
    }
}
