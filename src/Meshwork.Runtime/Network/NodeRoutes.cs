using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Meshwork.Model.Resources;

namespace Meshwork.Runtime.Network;

/// <summary>
/// The routes of a node's network namespace to the other nodes' pod ranges: each Ready node's spec.podCIDR via its
/// InternalIP, as flannel's host-gw backend routes them, following the Node list (a node added, moved or gone)
/// and removed again when the runtime stops. A node on this same host (a loopback address, or this node's own) is
/// left out: its bridge is a connected route here already. Forwarding between the pod bridge and the host's
/// interface is the host's own setting (net.ipv4.ip_forward); the runtime never changes it, and says once when it
/// is off while other nodes are there to be reached.
/// </summary>
public sealed class NodeRoutes(Ipv4Range ownRange, Action<string> log) : IDisposable
{
    private const string ForwardingSetting = "/proc/sys/net/ipv4/ip_forward";
    private readonly object _gate = new();
    private ImmutableDictionary<Ipv4Range, IPAddress> _installed = ImmutableDictionary<Ipv4Range, IPAddress>.Empty;
    private string? _lastProblem;
    private bool _forwardingNoted;
    private bool _disposed;

    /// <summary>The routes this node wants: range → the node that holds it; on an overlap the first node by name keeps it.</summary>
    public static ImmutableDictionary<Ipv4Range, IPAddress> Wanted(IEnumerable<Node> nodes, string self, string? selfAddress, Ipv4Range ownRange, DateTimeOffset now)
    {
        var wanted = ImmutableDictionary.CreateBuilder<Ipv4Range, IPAddress>();
        foreach (var node in nodes.Where(n => n.Metadata.Name != self && n.IsReady(now)).OrderBy(n => n.Metadata.Name, StringComparer.Ordinal))
        {
            if (!Ipv4Range.TryParse(node.Spec.PodCidr, out var range) || range.Overlaps(ownRange)) continue;
            if (!IPAddress.TryParse(node.Status.InternalIp, out var via) || via.AddressFamily != AddressFamily.InterNetwork) continue;
            if (IPAddress.IsLoopback(via) || node.Status.InternalIp == selfAddress) continue;
            if (wanted.Keys.Any(r => r.Overlaps(range))) continue;
            wanted[range] = via;
        }
        return wanted.ToImmutable();
    }

    /// <summary>Brings the namespace's routes to <see cref="Wanted"/>: a failed change is logged and tried again on the next call.</summary>
    public void Follow(IEnumerable<Node> nodes, string self, string? selfAddress, DateTimeOffset now)
    {
        var wanted = Wanted(nodes, self, selfAddress, ownRange, now);
        lock (_gate)
        {
            if (_disposed || (wanted.Count == _installed.Count && wanted.All(w => _installed.TryGetValue(w.Key, out var at) && at.Equals(w.Value)))) return;
            var problems = new List<string>();
            foreach (var (range, via) in _installed.Where(r => !wanted.ContainsKey(r.Key)).ToList())
            {
                if (Route(problems, "del", range, via)) log($"runtime: route to {range} via {via} removed (its node left)");
                _installed = _installed.Remove(range);
            }
            foreach (var (range, via) in wanted.Where(r => !_installed.TryGetValue(r.Key, out var at) || !at.Equals(r.Value)).ToList())
            {
                // A new route is added, never replaced over a route of the host's own; a moved node's route is ours to replace.
                if (!Route(problems, _installed.ContainsKey(range) ? "replace" : "add", range, via)) continue;
                _installed = _installed.SetItem(range, via);
                log($"runtime: pods of {range} are reached via node {via}");
            }
            var problem = problems.Count == 0 ? null : string.Join("; ", problems);
            if (problem is not null && problem != _lastProblem) log($"runtime: routes to other nodes: {problem}");
            _lastProblem = problem;
            if (!_installed.IsEmpty && !_forwardingNoted && ForwardingOff())
            {
                _forwardingNoted = true;
                log($"runtime: net.ipv4.ip_forward is 0 on this host, so other nodes' pods and this node's pods cannot reach each other until the host enables it (sysctl -w net.ipv4.ip_forward=1); the runtime leaves the host's settings alone");
            }
        }
    }

    private static bool Route(List<string> problems, string verb, Ipv4Range range, IPAddress via)
    {
        var (code, _, stderr) = NetworkCommands.TryRun("ip", ["-4", "route", verb, range.ToString(), "via", via.ToString()], null, out var command);
        if (code == 0) return true;
        problems.Add($"`{command}` failed: {stderr.Trim()}");
        return false;
    }

    private static bool ForwardingOff()
    {
        try { return File.ReadAllText(ForwardingSetting).Trim() == "0"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>Removes every route this node added.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var (range, via) in _installed) Route([], "del", range, via);
            _installed = ImmutableDictionary<Ipv4Range, IPAddress>.Empty;
        }
    }
}
