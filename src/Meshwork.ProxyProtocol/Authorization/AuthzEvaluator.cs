using System.Collections.Immutable;
using System.Net;

namespace Meshwork.ProxyProtocol.Authorization;

/// <summary>The attributes of one connection or request that authorization looks at.</summary>
public readonly record struct AuthzRequest
{
    /// <summary>False for an L4 (TCP) connection: HTTP attributes are absent.</summary>
    public bool IsHttp { get; init; }
    /// <summary>Peer SPIFFE ID without the "spiffe://" scheme ("cluster.local/ns/foo/sa/sleep"); null for plaintext.</summary>
    public string? Principal { get; init; }
    public IPAddress? SourceIp { get; init; }
    public IPAddress? RemoteIp { get; init; }
    public IPAddress? DestinationIp { get; init; }
    public int DestinationPort { get; init; }
    public string? Host { get; init; }
    public string? Method { get; init; }
    /// <summary>Path without the query string.</summary>
    public string? Path { get; init; }
    public string? Sni { get; init; }
    /// <summary>Header lookup by lower-case name; null when the request is not HTTP.</summary>
    public Func<string, string?>? Header { get; init; }
}

public sealed record AuthzDryRunResult(string Policy, AuthzAction Action, bool Matched, int? Rule);

/// <summary>The decision and what made it.</summary>
public sealed record AuthzDecision
{
    public required bool Allowed { get; init; }
    /// <summary>The deciding policy ("ns/name"), or null when no policy decided (no ALLOW policy at all: allowed).</summary>
    public string? Policy { get; init; }
    public int? Rule { get; init; }
    public required string Reason { get; init; }
    public ImmutableArray<AuthzDryRunResult> DryRun { get; init; } = [];
}

/// <summary>
/// Istio's evaluation order over resolved policies: CUSTOM (unsupported: denies), DENY, then ALLOW
/// (allowed when no ALLOW policy applies), AUDIT never changes the outcome; dry-run policies are
/// evaluated and reported but not enforced.
/// </summary>
public static class AuthzEvaluator
{
    public static AuthzDecision Evaluate(ImmutableArray<AuthzPolicy> policies, in AuthzRequest request)
    {
        // Placeholder until the policy work lands: deny-by-policy semantics come from there.
        if (policies.IsDefaultOrEmpty) return new AuthzDecision { Allowed = true, Reason = "no authorization policy applies" };
        throw new NotImplementedException("AuthzEvaluator is being written");
    }
}
