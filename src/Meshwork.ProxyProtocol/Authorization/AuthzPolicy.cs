using System.Collections.Immutable;

namespace Meshwork.ProxyProtocol.Authorization;

public enum AuthzAction { Allow, Deny, Audit, Custom }

/// <summary>
/// An AuthorizationPolicy as the proxy executes it: resolved for one port, strings already turned
/// into matchers. Semantics are Istio's (see <see cref="AuthzEvaluator"/>).
/// </summary>
public sealed record AuthzPolicy
{
    /// <summary>"namespace/name"</summary>
    public required string Name { get; init; }
    public required AuthzAction Action { get; init; }
    public bool DryRun { get; init; }
    public ImmutableArray<AuthzRule> Rules { get; init; } = [];
}

public sealed record AuthzRule
{
    /// <summary>
    /// The rule's position in the AuthorizationPolicy's spec.rules, so that decisions name the rule the
    /// user wrote even when rules were dropped for a TCP port; null means its position in <see cref="AuthzPolicy.Rules"/>.
    /// </summary>
    public int? Index { get; init; }
    /// <summary>Empty: any source. Otherwise at least one must match.</summary>
    public ImmutableArray<AuthzSource> From { get; init; } = [];
    /// <summary>Empty: any operation. Otherwise at least one must match.</summary>
    public ImmutableArray<AuthzOperation> To { get; init; } = [];
    /// <summary>All must match.</summary>
    public ImmutableArray<AuthzCondition> When { get; init; } = [];
}

/// <summary>
/// A string pattern in Istio's forms: exact "abc", prefix "abc*", suffix "*abc", presence "*".
/// Kept as written; the evaluator interprets it.
/// </summary>
public sealed record AuthzSource
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

public sealed record AuthzOperation
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

public sealed record AuthzCondition
{
    public required string Key { get; init; }
    public ImmutableArray<string> Values { get; init; } = [];
    public ImmutableArray<string> NotValues { get; init; } = [];
}
