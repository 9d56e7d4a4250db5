using System.Collections.Immutable;
using Meshwork.Policy.Traffic;

namespace Meshwork.Policy.Why;

/// <summary>
/// The answer of <c>meshwork x why</c>: the first cause a call meets, the endpoint it was found at, the
/// evidence (policy decisions and the proxies' live state), and the explanation it was drawn from.
/// </summary>
public sealed record CallDiagnosis
{
    public required CallFailureCause Cause { get; init; }
    /// <summary>One sentence that names the cause and the resource or state behind it.</summary>
    public required string Summary { get; init; }
    /// <summary>The endpoint (namespace/pod) the cause was found at; null before endpoints are chosen.</summary>
    public string? Endpoint { get; init; }
    /// <summary>"ns/name" of the deciding AuthorizationPolicy and its rule, for <see cref="CallFailureCause.AuthorizationDenied"/>.</summary>
    public string? Policy { get; init; }
    public int? Rule { get; init; }
    /// <summary>
    /// For a transport cause, the proxy that counted it, in Istio's reporter words: "source" (the client's sidecar) or
    /// "destination" (the endpoint's sidecar); its log shows each failure.
    /// </summary>
    public string? Reporter { get; init; }
    public ImmutableArray<Reason> Evidence { get; init; } = [];
    public required TrafficExplanation Explanation { get; init; }
}
