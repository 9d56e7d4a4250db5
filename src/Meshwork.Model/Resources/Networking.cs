using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

public enum ClientTlsMode { Disable = 0, Simple = 1, Mutual = 2, IstioMutual = 3 }

public sealed record ClientTlsSettings
{
    public ClientTlsMode Mode { get; init; } = ClientTlsMode.Disable;
    public string? ClientCertificate { get; init; }
    public string? PrivateKey { get; init; }
    public string? CaCertificates { get; init; }
    public string? CredentialName { get; init; }
    public ImmutableArray<string> SubjectAltNames { get; init; } = [];
    public string? Sni { get; init; }
    public bool InsecureSkipVerify { get; init; }
}

public sealed record PortTrafficPolicy
{
    public required int Port { get; init; }
    /// <summary>Null when the port entry sets no TLS.</summary>
    public ClientTlsSettings? Tls { get; init; }
}

public sealed record TrafficPolicy
{
    /// <summary>Null when the policy sets no TLS (auto mTLS may then apply).</summary>
    public ClientTlsSettings? Tls { get; init; }
    public ImmutableArray<PortTrafficPolicy> PortLevelSettings { get; init; } = [];
}

public sealed record Subset
{
    public required string Name { get; init; }
    public ImmutableSortedDictionary<string, string> Labels { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public TrafficPolicy? TrafficPolicy { get; init; }
}

public sealed record DestinationRuleSpec
{
    public required string Host { get; init; }
    public TrafficPolicy? TrafficPolicy { get; init; }
    public ImmutableArray<Subset> Subsets { get; init; } = [];
    /// <summary>Empty means exported to every namespace.</summary>
    public ImmutableArray<string> ExportTo { get; init; } = [];
    public LabelSelector? WorkloadSelector { get; init; }
}

public sealed record DestinationRule : Resource
{
    public override string Kind => "DestinationRule";
    public required DestinationRuleSpec Spec { get; init; }
}

public sealed record GatewayPort
{
    public required int Number { get; init; }
    public string? Name { get; init; }
    public required string Protocol { get; init; }
}

public sealed record ServerTlsSettings
{
    public string Mode { get; init; } = "SIMPLE";
    public string? CredentialName { get; init; }
    public bool HttpsRedirect { get; init; }
}

public sealed record GatewayServer
{
    public required GatewayPort Port { get; init; }
    public ImmutableArray<string> Hosts { get; init; } = [];
    public ServerTlsSettings? Tls { get; init; }
}

public sealed record GatewaySpec
{
    public ImmutableSortedDictionary<string, string> Selector { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<GatewayServer> Servers { get; init; } = [];
}

public sealed record Gateway : Resource
{
    public override string Kind => "Gateway";
    public required GatewaySpec Spec { get; init; }
}

public sealed record RouteDestination
{
    public required string Host { get; init; }
    public string? Subset { get; init; }
    public int? Port { get; init; }
}

public sealed record WeightedDestination
{
    public required RouteDestination Destination { get; init; }
    public int Weight { get; init; }
}

/// <summary>One match condition of an HTTP route. Each string match is kept as written ("exact:/x", "prefix:/x", "regex:...").</summary>
public sealed record HttpMatch
{
    public string? Uri { get; init; }
    public string? Method { get; init; }
    public ImmutableSortedDictionary<string, string> Headers { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public int? Port { get; init; }
    public ImmutableArray<string> Gateways { get; init; } = [];
}

public sealed record HttpRoute
{
    public string? Name { get; init; }
    public ImmutableArray<HttpMatch> Match { get; init; } = [];
    public ImmutableArray<WeightedDestination> Route { get; init; } = [];
}

public sealed record TcpRoute
{
    public ImmutableArray<WeightedDestination> Route { get; init; } = [];
}

public sealed record VirtualServiceSpec
{
    public ImmutableArray<string> Hosts { get; init; } = [];
    public ImmutableArray<string> Gateways { get; init; } = [];
    public ImmutableArray<HttpRoute> Http { get; init; } = [];
    public ImmutableArray<TcpRoute> Tcp { get; init; } = [];
    public ImmutableArray<string> ExportTo { get; init; } = [];
}

public sealed record VirtualService : Resource
{
    public override string Kind => "VirtualService";
    public required VirtualServiceSpec Spec { get; init; }
}
