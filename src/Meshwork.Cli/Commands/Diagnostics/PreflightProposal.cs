using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>The inbound mode one plaintext caller would meet, and what decides it.</summary>
internal sealed record PreflightVerdict(PlaintextEdge Edge, string Mode, string Source)
{
    /// <summary>STRICT refuses plaintext; PERMISSIVE and DISABLE still take it.</summary>
    public bool Refused => Mode == "STRICT";
}

/// <summary>
/// What pre-flight checks the observed plaintext callers against: STRICT on every port (no --policy), or
/// the effective mode of each destination port once the proposed PeerAuthentications are applied over the
/// live mesh, decided by the same policy code the control plane pushes with.
/// </summary>
internal static class PreflightProposal
{
    public const string AssumedStrict = "STRICT assumed for every port";

    public static IReadOnlyList<PreflightVerdict> AssumeStrict(IEnumerable<PlaintextEdge> edges) =>
        [.. edges.Select(e => new PreflightVerdict(e, "STRICT", AssumedStrict))];

    /// <summary>The objects of a --policy file; only PeerAuthentications are a proposal pre-flight can judge.</summary>
    public static IReadOnlyList<Resource> Validate(IReadOnlyList<Resource> proposed, string file)
    {
        if (proposed.Count == 0) throw new Resources.CliUsageException($"--policy {file}: no PeerAuthentication in the file");
        if (proposed.FirstOrDefault(r => r is not PeerAuthentication) is { } other)
        {
            throw new Resources.CliUsageException($"--policy {file}: {other.Kind} {other.Metadata.Name} is not a PeerAuthentication; pre-flight judges only proposed PeerAuthentications");
        }
        return proposed;
    }

    public static IReadOnlyList<PreflightVerdict> Evaluate(IReadOnlyList<Resource> live, IReadOnlyList<Resource> proposed, IEnumerable<PlaintextEdge> edges)
    {
        // Applied as `apply` would: a proposal named like a live policy replaces it and keeps its age.
        var mesh = MeshState.From(MeshSource.AsApplied(live.Concat(proposed)));
        var verdicts = new List<PreflightVerdict>();
        foreach (var edge in edges)
        {
            var pod = mesh.Pods.FirstOrDefault(p => (p.Metadata.Namespace ?? "default") == edge.DestinationNamespace && p.Metadata.Name == edge.Destination);
            if (pod is null)
            {
                // Fails closed: a destination the mesh no longer lists cannot be shown to take plaintext.
                verdicts.Add(new PreflightVerdict(edge, "STRICT", "the pod is no longer in the mesh"));
                continue;
            }
            var decision = InboundMtls.Effective(mesh, Workload.FromPod(pod), edge.Port);
            verdicts.Add(new PreflightVerdict(edge, InboundMtls.Text(decision.Mode), decision.Source));
        }
        return verdicts;
    }
}
