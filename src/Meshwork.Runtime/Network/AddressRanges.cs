using System.Collections.Immutable;

namespace Meshwork.Runtime.Network;

/// <summary>
/// Chooses the pod range of a mesh: a /24 that overlaps no route the machine has (its own
/// interfaces, a VPN, another mesh's bridge) and not the Service range, so the host reaches every
/// pod through the mesh's bridge and nothing else is shadowed.
/// </summary>
public static class AddressRanges
{
    /// <summary>Where pod ranges are taken from: 10.244.0.0/16, as flannel's default pod network.</summary>
    public static readonly Ipv4Range PodPool = Ipv4Range.Parse("10.244.0.0/16");

    /// <summary>
    /// The destinations of <c>ip -4 route show table all</c>: every prefix the machine routes
    /// (local and broadcast entries included), except the default route, which overlaps everything.
    /// </summary>
    public static ImmutableArray<Ipv4Range> ParseRoutes(string ipRouteOutput)
    {
        var routes = ImmutableArray.CreateBuilder<Ipv4Range>();
        foreach (var line in ipRouteOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // An optional route type (local, broadcast, unreachable, ...) comes before the destination.
            var destination = words.FirstOrDefault(w => w == "default" || char.IsAsciiDigit(w[0]));
            if (destination is null or "default") continue;
            if (Ipv4Range.TryParse(destination, out var range)) routes.Add(range);
        }
        return routes.ToImmutable();
    }

    /// <summary>
    /// The first /24 of <see cref="PodPool"/>, starting at a place <paramref name="seed"/> picks, that
    /// overlaps none of <paramref name="taken"/> and for which <paramref name="claim"/> succeeds (another
    /// mesh on this machine may be choosing at the same moment); null when none is left.
    /// </summary>
    public static Ipv4Range? ChoosePodRange(IReadOnlyCollection<Ipv4Range> taken, string seed, Func<Ipv4Range, bool> claim)
    {
        var count = (int)(PodPool.Size / 256);
        var start = (int)(StableHash(seed) % (uint)count);
        for (var i = 0; i < count; i++)
        {
            var candidate = new Ipv4Range(PodPool.Network + (uint)((start + i) % count) * 256, 24);
            if (taken.Any(t => t.Overlaps(candidate))) continue;
            if (claim(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>FNV-1a over the text: the same on every run, unlike string.GetHashCode.</summary>
    public static uint StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash ^= c;
            hash = unchecked(hash * 16777619u);
        }
        return hash;
    }
}
