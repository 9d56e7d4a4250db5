using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Outbound;

/// <summary>
/// A Service's outbound entry, built once per mesh state for every client namespace that sees it the same way. A
/// client's namespace changes the entry only through the DestinationRule it finds for the Service (TLS mode, SNI,
/// subsets, accepted identities); with none found, auto mTLS and secure naming read the server side alone, so every
/// such namespace gets one shared object. That makes the per-endpoint TLS decisions once per change rather than once
/// per namespace. Lists made of the same entries are one array too (<see cref="Intern"/>), so that a list is serialized
/// and hashed (<see cref="Hashing.EncodedList"/>) and diffed once per change, not once per namespace.
/// </summary>
internal sealed class SharedOutbound
{
    private readonly ConcurrentDictionary<Service, OutboundService> _built = new(ReferenceEqualityComparer.Instance);
    private readonly ConcurrentDictionary<EntryList, EntryList> _lists = new();

    /// <summary>True when no DestinationRule applies to <paramref name="service"/> for a client in <paramref name="clientNamespace"/>.</summary>
    public static bool NoDestinationRule(MeshState mesh, string clientNamespace, Service service)
        // The lookup reads the Service's hostname and namespace, not the port: any port asks the same question.
        => mesh.DestinationRules.IsEmpty || service.Spec.Ports.IsEmpty
            || DestinationRuleLookup.Find(mesh, clientNamespace, new ServiceTarget(service, service.Spec.Ports[0])) is null;

    /// <summary>The entry built for <paramref name="service"/> by the first namespace that asked, else <paramref name="build"/>'s.</summary>
    public OutboundService GetOrBuild<TState>(Service service, TState state, Func<TState, Service, OutboundService> build)
        // Two namespaces racing may both build (equal entries, the build is pure); the first stored is the one every list holds.
        => _built.TryGetValue(service, out var built) ? built : _built.GetOrAdd(service, build(state, service));

    /// <summary>An earlier list holding the very same entries in the same order, else <paramref name="list"/> (kept for the next).</summary>
    public ImmutableArray<OutboundService> Intern(ImmutableArray<OutboundService> list)
    {
        var entries = new EntryList(list);
        return _lists.GetOrAdd(entries, entries).Entries;
    }

    /// <summary>A list compared by the identity of its entries: each namespace's list is looked up once, by a hash of
    /// its entries' identities, not compared with every list made before it.</summary>
    private readonly record struct EntryList(ImmutableArray<OutboundService> Entries)
    {
        public bool Equals(EntryList other)
        {
            if (Entries.Length != other.Entries.Length) return false;
            for (var i = 0; i < Entries.Length; i++)
            {
                if (!ReferenceEquals(Entries[i], other.Entries[i])) return false;
            }
            return true;
        }

        public override int GetHashCode()
        {
            var hash = new HashCode();
            foreach (var entry in Entries) hash.Add(RuntimeHelpers.GetHashCode(entry));
            return hash.ToHashCode();
        }
    }
}
