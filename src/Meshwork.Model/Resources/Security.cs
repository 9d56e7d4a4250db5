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
}

public sealed record AuthorizationCondition
{
    public required string Key { get; init; }
    public ImmutableArray<string> Values { get; init; } = [];
    public ImmutableArray<string> NotValues { get; init; } = [];
}

/// <summary>One rule. An empty From/To/When list means "any".</summary>
public sealed record AuthorizationRule
{
    public ImmutableArray<AuthorizationSource> From { get; init; } = [];
    public ImmutableArray<AuthorizationOperation> To { get; init; } = [];
    public ImmutableArray<AuthorizationCondition> When { get; init; } = [];
}

public sealed record AuthorizationPolicySpec
{
    public LabelSelector? Selector { get; init; }
    public AuthorizationAction Action { get; init; } = AuthorizationAction.Allow;
    /// <summary>The CUSTOM provider's name, when set.</summary>
    public string? Provider { get; init; }
    /// <summary>No rules at all (<c>spec: {}</c>) is an empty list: an ALLOW policy that matches nothing.</summary>
    public ImmutableArray<AuthorizationRule> Rules { get; init; } = [];
}

public sealed record AuthorizationPolicy : Resource
{
    public override string Kind => "AuthorizationPolicy";
    public required AuthorizationPolicySpec Spec { get; init; }
    /// <summary>The <c>istio.io/dry-run: "true"</c> annotation: evaluated and reported, never enforced.</summary>
    public bool DryRun => Metadata.Annotations.TryGetValue("istio.io/dry-run", out var v) && string.Equals(v, "true", StringComparison.OrdinalIgnoreCase);
}
