using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

public sealed record GatewayPort
{
    public required int Number { get; init; }
    public string? Name { get; init; }
    public required string Protocol { get; init; }
}

public sealed record ServerTlsSettings
{
    /// <summary>Istio's TLSmode name. A document that omits it reads as PASSTHROUGH, Istio's enum default.</summary>
    public string Mode { get; init; } = "SIMPLE";
    public string? CredentialName { get; init; }
    public bool HttpsRedirect { get; init; }
}

public sealed record GatewayServer
{
    public required GatewayPort Port { get; init; }
    public ImmutableArray<string> Hosts { get; init; } = [];
    public ServerTlsSettings? Tls { get; init; }

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(GatewayServer? other) =>
        other is not null
            && Port == other.Port
            && Equality.Seq(Hosts, other.Hosts)
            && Tls == other.Tls;

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Port);
        hash.Add(Equality.Hash(Hosts));
        hash.Add(Tls);
        return hash.ToHashCode();
    }
}

public sealed record GatewaySpec
{
    public ImmutableSortedDictionary<string, string> Selector { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public ImmutableArray<GatewayServer> Servers { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(GatewaySpec? other) =>
        other is not null
            && Equality.Map(Selector, other.Selector)
            && Equality.Seq(Servers, other.Servers);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(Selector));
        hash.Add(Equality.Hash(Servers));
        return hash.ToHashCode();
    }
}

public sealed record Gateway : Resource
{
    public override string Kind => "Gateway";
    public required GatewaySpec Spec { get; init; }
}
