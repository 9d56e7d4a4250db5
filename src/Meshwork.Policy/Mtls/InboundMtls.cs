using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Policy;

/// <summary>The effective inbound mTLS mode of one workload port, and which resource decided it.</summary>
/// <param name="Source">"default", or "PeerAuthentication ns/name (mesh-wide|namespace-wide|workload|workload, port N)".</param>
public sealed record MtlsDecision(InboundTlsMode Mode, string Source, ImmutableArray<Reason> Reasons);

public static class InboundMtls
{
    /// <summary>Istio's ComposePeerAuthentication: mesh &lt; namespace &lt; workload &lt; portLevelMtls; UNSET inherits; default PERMISSIVE.</summary>
    public static MtlsDecision Effective(MeshState mesh, Workload workload, int port) => Effective(mesh, workload, port, explain: true);

    /// <summary>The same decision; with <paramref name="explain"/> false its reasons are empty and never written (generation keeps only the mode and source).</summary>
    public static MtlsDecision Effective(MeshState mesh, Workload workload, int port, bool explain)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentNullException.ThrowIfNull(workload);
        // Null when not explaining: "reasons?.Add(...)" then skips building the sentence as well.
        var reasons = explain ? ImmutableArray.CreateBuilder<Reason>() : null;
        var (mode, source) = NamespaceLevel(mesh, workload.Namespace, reasons);
        var root = mesh.Mesh.RootNamespace;

        // Workload-level policies: in the workload's own namespace, with a non-empty selector that matches.
        var matching = new List<PeerAuthentication>();
        foreach (var pa in mesh.PeerAuthentications)
        {
            if (pa.Spec.Selector is not { IsEmpty: false } selector) continue;
            if (pa.Metadata.Namespace == root)
            {
                if (selector.Matches(workload.Labels))
                {
                    reasons?.Add(new Reason(
                        $"{Describe(pa)} is ignored: a PeerAuthentication with a selector in the root namespace {root} never applies (move it to the workload's namespace, or drop the selector to make it mesh-wide).",
                        pa.Ref, "spec.selector"));
                }
                continue;
            }
            if (pa.Metadata.Namespace != workload.Namespace || !selector.Matches(workload.Labels)) continue;
            matching.Add(pa);
        }

        var chosen = Age.Oldest(matching);
        if (chosen is not null)
        {
            foreach (var other in matching)
            {
                if (!ReferenceEquals(other, chosen))
                {
                    reasons?.Add(new Reason($"{Describe(other)} also selects {workload.Ref} but is newer than {Describe(chosen)}, so it is ignored (the oldest workload policy wins as a whole).", other.Ref, "metadata.creationTimestamp"));
                }
            }
            if (chosen.Spec.Mode != MtlsMode.Unset)
            {
                mode = ToInbound(chosen.Spec.Mode);
                source = $"PeerAuthentication {Name(chosen)} (workload)";
                reasons?.Add(new Reason($"{Describe(chosen)} selects {workload.Ref} and sets {Text(mode)}, overriding the namespace and mesh.", chosen.Ref, "spec.mtls.mode"));
            }
            else
            {
                reasons?.Add(new Reason($"{Describe(chosen)} selects {workload.Ref} but leaves the mode UNSET, so it inherits {Text(mode)}.", chosen.Ref, "spec.mtls.mode"));
            }

            if (chosen.Spec.PortLevelMtls.TryGetValue(port, out var portMode))
            {
                if (portMode != MtlsMode.Unset)
                {
                    mode = ToInbound(portMode);
                    source = $"PeerAuthentication {Name(chosen)} (workload, port {port})";
                    reasons?.Add(new Reason($"{Describe(chosen)} sets {Text(mode)} for workload port {port}.", chosen.Ref, $"spec.portLevelMtls[{port}].mode"));
                }
                else
                {
                    reasons?.Add(new Reason($"{Describe(chosen)} lists port {port} with mode UNSET, so the port takes the workload mode {Text(mode)}.", chosen.Ref, $"spec.portLevelMtls[{port}].mode"));
                }
            }
        }
        foreach (var pa in mesh.PeerAuthentications)
        {
            if (pa.Spec.Selector is { IsEmpty: false } || pa.Spec.PortLevelMtls.IsEmpty) continue;
            if (pa.Metadata.Namespace != workload.Namespace && pa.Metadata.Namespace != root) continue;
            reasons?.Add(new Reason($"{Describe(pa)} has portLevelMtls without a selector; port-level settings only apply from a workload policy, so they are ignored.", pa.Ref, "spec.portLevelMtls"));
        }
        return new MtlsDecision(mode, source, Reason.Gathered(reasons));
    }

    /// <summary>
    /// The mode a namespace's workloads get before any workload-level policy: the namespace policy,
    /// else the mesh policy, else PERMISSIVE. Auto mTLS looks only at this level (ISTIO-SEMANTICS §2.3).
    /// </summary>
    public static MtlsDecision NamespaceLevel(MeshState mesh, string @namespace) => NamespaceLevel(mesh, @namespace, explain: true);

    /// <summary>The same; with <paramref name="explain"/> false its reasons are empty and never written.</summary>
    public static MtlsDecision NamespaceLevel(MeshState mesh, string @namespace, bool explain)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        var reasons = explain ? ImmutableArray.CreateBuilder<Reason>() : null;
        var (mode, source) = NamespaceLevel(mesh, @namespace, reasons);
        return new MtlsDecision(mode, source, Reason.Gathered(reasons));
    }

    private static (InboundTlsMode Mode, string Source) NamespaceLevel(MeshState mesh, string @namespace, ImmutableArray<Reason>.Builder? reasons)
    {
        var root = mesh.Mesh.RootNamespace;
        var mode = InboundTlsMode.Permissive;
        var source = "default";

        var meshPolicy = OldestScoped(mesh, root, "mesh-wide", reasons);
        if (meshPolicy is null)
        {
            reasons?.Add(new Reason($"No mesh-wide PeerAuthentication (root namespace {root}, no selector), so the mesh default is PERMISSIVE."));
        }
        else if (meshPolicy.Spec.Mode == MtlsMode.Unset)
        {
            reasons?.Add(new Reason($"{Describe(meshPolicy)} is mesh-wide but leaves the mode UNSET, which means PERMISSIVE.", meshPolicy.Ref, "spec.mtls.mode"));
        }
        else
        {
            mode = ToInbound(meshPolicy.Spec.Mode);
            source = $"PeerAuthentication {Name(meshPolicy)} (mesh-wide)";
            reasons?.Add(new Reason($"{Describe(meshPolicy)} sets {Text(mode)} mesh-wide.", meshPolicy.Ref, "spec.mtls.mode"));
        }

        if (@namespace == root) return (mode, source);
        var nsPolicy = OldestScoped(mesh, @namespace, "namespace-wide", reasons);
        if (nsPolicy is null) return (mode, source);
        if (nsPolicy.Spec.Mode == MtlsMode.Unset)
        {
            reasons?.Add(new Reason($"{Describe(nsPolicy)} is namespace-wide but leaves the mode UNSET, so namespace {@namespace} inherits {Text(mode)}.", nsPolicy.Ref, "spec.mtls.mode"));
        }
        else
        {
            mode = ToInbound(nsPolicy.Spec.Mode);
            source = $"PeerAuthentication {Name(nsPolicy)} (namespace-wide)";
            reasons?.Add(new Reason($"{Describe(nsPolicy)} sets {Text(mode)} for namespace {@namespace}.", nsPolicy.Ref, "spec.mtls.mode"));
        }
        return (mode, source);
    }

    /// <summary>The oldest selector-less policy in <paramref name="namespace"/>; newer ones are reported as ignored.</summary>
    private static PeerAuthentication? OldestScoped(MeshState mesh, string @namespace, string scope, ImmutableArray<Reason>.Builder? reasons)
    {
        var candidates = new List<PeerAuthentication>();
        foreach (var pa in mesh.PeerAuthentications)
        {
            if (pa.Metadata.Namespace == @namespace && pa.Spec.Selector is null or { IsEmpty: true }) candidates.Add(pa);
        }
        var oldest = Age.Oldest(candidates);
        foreach (var pa in candidates)
        {
            if (!ReferenceEquals(pa, oldest))
            {
                reasons?.Add(new Reason($"{Describe(pa)} is ignored: {Describe(oldest!)} is an older {scope} policy, and only the oldest one applies.", pa.Ref, "metadata.creationTimestamp"));
            }
        }
        return oldest;
    }

    public static InboundTlsMode ToInbound(MtlsMode mode) => mode switch
    {
        MtlsMode.Strict => InboundTlsMode.Strict,
        MtlsMode.Disable => InboundTlsMode.Disable,
        _ => InboundTlsMode.Permissive,
    };

    /// <summary>Istio's spelling: STRICT, PERMISSIVE, DISABLE.</summary>
    public static string Text(InboundTlsMode mode) => mode switch
    {
        InboundTlsMode.Strict => "STRICT",
        InboundTlsMode.Disable => "DISABLE",
        _ => "PERMISSIVE",
    };

    private static string Name(Resource r) => $"{r.Metadata.Namespace}/{r.Metadata.Name}";
    private static string Describe(Resource r) => $"PeerAuthentication {Name(r)}";
}
