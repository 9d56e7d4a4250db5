using System.Collections.Immutable;

namespace Meshwork.Model.Resources;

/// <summary>PeerAuthentication mTLS mode. Unset means "inherit from the parent scope".</summary>
public enum MtlsMode { Unset = 0, Disable = 1, Permissive = 2, Strict = 3 }

public sealed record PeerAuthenticationSpec
{
    /// <summary>Null when the document had no selector; an empty matchLabels is kept as an empty selector.</summary>
    public LabelSelector? Selector { get; init; }
    /// <summary>Unset when the <c>mtls</c> block or its mode is omitted.</summary>
    public MtlsMode Mode { get; init; } = MtlsMode.Unset;
    /// <summary>Keyed by workload (container) port.</summary>
    public ImmutableSortedDictionary<int, MtlsMode> PortLevelMtls { get; init; } = ImmutableSortedDictionary<int, MtlsMode>.Empty;

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(PeerAuthenticationSpec? other) =>
        other is not null
            && Selector == other.Selector
            && Mode == other.Mode
            && Equality.Map(PortLevelMtls, other.PortLevelMtls);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Selector);
        hash.Add(Mode);
        hash.Add(Equality.Hash(PortLevelMtls));
        return hash.ToHashCode();
    }
}

public sealed record PeerAuthentication : Resource
{
    public override string Kind => "PeerAuthentication";
    public required PeerAuthenticationSpec Spec { get; init; }
}

public enum AuthorizationAction { Allow = 0, Deny = 1, Audit = 2, Custom = 3 }

public sealed record AuthorizationSource
{
    public ImmutableArray<string> Principals { get; init; } = [];
    public ImmutableArray<string> NotPrincipals { get; init; } = [];
    public ImmutableArray<string> RequestPrincipals { get; init; } = [];
    public ImmutableArray<string> NotRequestPrincipals { get; init; } = [];
    public ImmutableArray<string> Namespaces { get; init; } = [];
    public ImmutableArray<string> NotNamespaces { get; init; } = [];
    public ImmutableArray<string> IpBlocks { get; init; } = [];
    public ImmutableArray<string> NotIpBlocks { get; init; } = [];
    public ImmutableArray<string> RemoteIpBlocks { get; init; } = [];
    public ImmutableArray<string> NotRemoteIpBlocks { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(AuthorizationSource? other) =>
        other is not null
            && Equality.Seq(Principals, other.Principals)
            && Equality.Seq(NotPrincipals, other.NotPrincipals)
            && Equality.Seq(RequestPrincipals, other.RequestPrincipals)
            && Equality.Seq(NotRequestPrincipals, other.NotRequestPrincipals)
            && Equality.Seq(Namespaces, other.Namespaces)
            && Equality.Seq(NotNamespaces, other.NotNamespaces)
            && Equality.Seq(IpBlocks, other.IpBlocks)
            && Equality.Seq(NotIpBlocks, other.NotIpBlocks)
            && Equality.Seq(RemoteIpBlocks, other.RemoteIpBlocks)
            && Equality.Seq(NotRemoteIpBlocks, other.NotRemoteIpBlocks);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(Principals));
        hash.Add(Equality.Hash(NotPrincipals));
        hash.Add(Equality.Hash(RequestPrincipals));
        hash.Add(Equality.Hash(NotRequestPrincipals));
        hash.Add(Equality.Hash(Namespaces));
        hash.Add(Equality.Hash(NotNamespaces));
        hash.Add(Equality.Hash(IpBlocks));
        hash.Add(Equality.Hash(NotIpBlocks));
        hash.Add(Equality.Hash(RemoteIpBlocks));
        hash.Add(Equality.Hash(NotRemoteIpBlocks));
        return hash.ToHashCode();
    }
}

public sealed record AuthorizationOperation
{
    public ImmutableArray<string> Hosts { get; init; } = [];
    public ImmutableArray<string> NotHosts { get; init; } = [];
    public ImmutableArray<string> Ports { get; init; } = [];
    public ImmutableArray<string> NotPorts { get; init; } = [];
    public ImmutableArray<string> Methods { get; init; } = [];
    public ImmutableArray<string> NotMethods { get; init; } = [];
    public ImmutableArray<string> Paths { get; init; } = [];
    public ImmutableArray<string> NotPaths { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(AuthorizationOperation? other) =>
        other is not null
            && Equality.Seq(Hosts, other.Hosts)
            && Equality.Seq(NotHosts, other.NotHosts)
            && Equality.Seq(Ports, other.Ports)
            && Equality.Seq(NotPorts, other.NotPorts)
            && Equality.Seq(Methods, other.Methods)
            && Equality.Seq(NotMethods, other.NotMethods)
            && Equality.Seq(Paths, other.Paths)
            && Equality.Seq(NotPaths, other.NotPaths);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(Hosts));
        hash.Add(Equality.Hash(NotHosts));
        hash.Add(Equality.Hash(Ports));
        hash.Add(Equality.Hash(NotPorts));
        hash.Add(Equality.Hash(Methods));
        hash.Add(Equality.Hash(NotMethods));
        hash.Add(Equality.Hash(Paths));
        hash.Add(Equality.Hash(NotPaths));
        return hash.ToHashCode();
    }
}

public sealed record AuthorizationCondition
{
    public required string Key { get; init; }
    public ImmutableArray<string> Values { get; init; } = [];
    public ImmutableArray<string> NotValues { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(AuthorizationCondition? other) =>
        other is not null
            && Key == other.Key
            && Equality.Seq(Values, other.Values)
            && Equality.Seq(NotValues, other.NotValues);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Key);
        hash.Add(Equality.Hash(Values));
        hash.Add(Equality.Hash(NotValues));
        return hash.ToHashCode();
    }
}

/// <summary>One rule. An empty From/To/When list means "any".</summary>
public sealed record AuthorizationRule
{
    public ImmutableArray<AuthorizationSource> From { get; init; } = [];
    public ImmutableArray<AuthorizationOperation> To { get; init; } = [];
    public ImmutableArray<AuthorizationCondition> When { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(AuthorizationRule? other) =>
        other is not null
            && Equality.Seq(From, other.From)
            && Equality.Seq(To, other.To)
            && Equality.Seq(When, other.When);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Equality.Hash(From));
        hash.Add(Equality.Hash(To));
        hash.Add(Equality.Hash(When));
        return hash.ToHashCode();
    }
}

public sealed record AuthorizationPolicySpec
{
    public LabelSelector? Selector { get; init; }
    public AuthorizationAction Action { get; init; } = AuthorizationAction.Allow;
    /// <summary>The CUSTOM provider's name, when set.</summary>
    public string? Provider { get; init; }
    /// <summary>No rules at all (<c>spec: {}</c>) is an empty list: an ALLOW policy that matches nothing.</summary>
    public ImmutableArray<AuthorizationRule> Rules { get; init; } = [];

    /// <summary>Structural: lists and maps compare by content.</summary>
    public bool Equals(AuthorizationPolicySpec? other) =>
        other is not null
            && Selector == other.Selector
            && Action == other.Action
            && Provider == other.Provider
            && Equality.Seq(Rules, other.Rules);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Selector);
        hash.Add(Action);
        hash.Add(Provider);
        hash.Add(Equality.Hash(Rules));
        return hash.ToHashCode();
    }
}

public sealed record AuthorizationPolicy : Resource
{
    public override string Kind => "AuthorizationPolicy";
    public required AuthorizationPolicySpec Spec { get; init; }
    /// <summary>The <c>istio.io/dry-run: "true"</c> annotation: evaluated and reported, never enforced.</summary>
    public bool DryRun => Metadata.Annotations.TryGetValue("istio.io/dry-run", out var v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);
}
