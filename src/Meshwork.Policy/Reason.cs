using System.Collections.Immutable;

namespace Meshwork.Policy;

/// <summary>One step of "why": a sentence a user can act on, and the resource and field behind it.</summary>
/// <param name="Sentence">A full sentence, e.g. "PeerAuthentication foo/default sets STRICT for the namespace."</param>
/// <param name="Resource">"Kind/namespace/name" of the resource that decided, when one did.</param>
/// <param name="Field">The field path inside that resource (spec.mtls.mode, spec.rules[0].from[0].source.principals).</param>
public sealed record Reason(string Sentence, string? Resource = null, string? Field = null)
{
    public override string ToString() => Sentence;

    /// <summary>The reasons gathered, or none when the caller did not ask for them (a null builder: nothing was written).</summary>
    internal static ImmutableArray<Reason> Gathered(ImmutableArray<Reason>.Builder? reasons) => reasons is null ? [] : reasons.ToImmutable();
}
