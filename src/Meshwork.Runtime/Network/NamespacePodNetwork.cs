using System.Net;

namespace Meshwork.Runtime.Network;

/// <summary>
/// The pod network of one mesh: a bridge in the root namespace holding the gateway address of the
/// pod /24, and per pod a network namespace joined to it by a veth pair, with its loopback, one
/// address, routes to the pod and Service ranges only (no default route, so nothing leaves the
/// machine) and iptables rules of its own. The root namespace gains only the bridge and its
/// connected route; no forwarding or NAT is enabled on the machine's interfaces. On a node of a
/// mesh of several hosts, pods also route the whole pod pool through their node, whose routes
/// (<see cref="NodeRoutes"/>) lead to the other nodes' ranges.
/// </summary>
public sealed class NamespacePodNetwork : IDisposable
{
    public const string RunRoot = "/run/meshwork";

    private readonly object _gate = new();
    private readonly Dictionary<int, PodNetworkAttachment> _pods = [];
    private readonly FileStream _rangeLock;
    private readonly Action<string> _log;
    private readonly bool _acrossNodes;
    private bool _disposed;

    private NamespacePodNetwork(MeshNetworkNames names, Ipv4Range podRange, Ipv4Range serviceRange, bool acrossNodes, FileStream rangeLock, Action<string> log)
    {
        Names = names;
        PodRange = podRange;
        ServiceRange = serviceRange;
        _acrossNodes = acrossNodes;
        _rangeLock = rangeLock;
        _log = log;
    }

    public MeshNetworkNames Names { get; }
    public Ipv4Range PodRange { get; }
    public Ipv4Range ServiceRange { get; }
    public IPAddress Gateway => PodRange.Address(1);

    /// <summary>
    /// Removes what a previous run of this mesh left, claims a pod range (none of <paramref name="reserved"/>: the
    /// ranges of the mesh's other nodes) and creates the bridge. On a node of a shared mesh,
    /// <paramref name="claimInMesh"/> claims the range for this node in the mesh's store, false when another node
    /// holds it (then the next range is tried).
    /// </summary>
    public static NamespacePodNetwork Create(string stateRoot, Ipv4Range serviceRange, IReadOnlyCollection<Ipv4Range> reserved, Func<Ipv4Range, bool>? claimInMesh, Action<string> log)
    {
        var names = MeshNetworkNames.For(stateRoot);
        RemoveLeftovers(names, log);
        Directory.CreateDirectory(RunRoot);
        Directory.CreateDirectory(names.RunDirectory);
        Directory.CreateDirectory(Path.Combine(names.RunDirectory, "stage"));
        var routes = AddressRanges.ParseRoutes(NetworkCommands.Run("ip", ["-4", "route", "show", "table", "all"]));
        FileStream? held = null;
        bool Claim(Ipv4Range candidate)
        {
            if ((held = TryLock(candidate)) is null) return false;
            var claimed = false;
            try
            {
                claimed = claimInMesh is null || claimInMesh(candidate);
                return claimed;
            }
            finally
            {
                if (!claimed)
                {
                    held.Dispose();
                    held = null;
                }
            }
        }
        var range = AddressRanges.ChoosePodRange([.. routes, serviceRange, .. reserved], names.Id, Claim)
            ?? throw new PodNetworkException($"no /24 of {AddressRanges.PodPool} is free of the machine's routes and the mesh's other nodes for the pod network");
        var network = new NamespacePodNetwork(names, range, serviceRange, claimInMesh is not null, held!, log);
        try
        {
            NetworkCommands.Run("ip", ["link", "add", names.Bridge, "type", "bridge"]);
            NetworkCommands.Run("ip", ["addr", "add", $"{network.Gateway}/{range.PrefixLength}", "dev", names.Bridge]);
            NetworkCommands.Run("ip", ["link", "set", names.Bridge, "up"]);
        }
        catch
        {
            network.Dispose();
            throw;
        }
        log($"runtime: pod network {range} on bridge {names.Bridge} (Services {serviceRange}); pods are isolated in network namespaces");
        return network;
    }

    /// <summary>
    /// Holds an exclusive lock on the range's file while this mesh uses it (.NET takes flock for
    /// FileShare.None), so two meshes starting together never pick the same range; the kernel drops
    /// the lock if the runtime dies.
    /// </summary>
    private static FileStream? TryLock(Ipv4Range range)
    {
        try
        {
            return new FileStream(Path.Combine(RunRoot, $"pod-range-{range.ToString().Replace('/', '-')}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Creates a pod's namespace and joins it to the bridge.</summary>
    public PodNetworkAttachment AddPod()
    {
        int slot;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            slot = Enumerable.Range(2, 253).FirstOrDefault(s => !_pods.ContainsKey(s));
            if (slot == 0) throw new PodNetworkException($"the pod range {PodRange} is full (253 pods)");
            _pods[slot] = new PodNetworkAttachment { PodIp = PodRange.Address((uint)slot), NetworkNamespace = Names.PodNamespace(slot), Slot = slot };
        }
        var pod = _pods[slot];
        var ns = pod.NetworkNamespace!;
        var veth = Names.HostVeth(slot);
        try
        {
            NetworkCommands.Run("ip", ["netns", "add", ns]);
            NetworkCommands.Run("ip", ["link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns]);
            NetworkCommands.Run("ip", ["link", "set", veth, "master", Names.Bridge, "up"]);
            NetworkCommands.Run("ip", ["-n", ns, "link", "set", "lo", "up"]);
            NetworkCommands.Run("ip", ["-n", ns, "addr", "add", $"{pod.PodIp}/{PodRange.PrefixLength}", "dev", "eth0"]);
            NetworkCommands.Run("ip", ["-n", ns, "link", "set", "eth0", "up"]);
            NetworkCommands.Run("ip", ["-n", ns, "route", "add", ServiceRange.ToString(), "via", Gateway.ToString(), "dev", "eth0"]);
            // The other nodes' pods are reached through this node, which routes their ranges to their hosts.
            if (_acrossNodes) NetworkCommands.Run("ip", ["-n", ns, "route", "add", AddressRanges.PodPool.ToString(), "via", Gateway.ToString(), "dev", "eth0"]);
            // Ports below 1024 belong to the pod as they do in a container (the gateway binds :80 as its own user).
            NetworkCommands.Run("nsenter", [$"--net={pod.NamespacePath}", "--", "sysctl", "-q", "-w", "net.ipv4.ip_unprivileged_port_start=0"]);
            return pod;
        }
        catch
        {
            RemovePod(pod);
            throw;
        }
    }

    /// <summary>Replaces the pod namespace's iptables tables with <paramref name="rules"/> (iptables-restore input).</summary>
    public static void ApplyRules(PodNetworkAttachment pod, string rules) =>
        NetworkCommands.Run("nsenter", [$"--net={pod.NamespacePath}", "--", "iptables-restore"], rules);

    public void RemovePod(PodNetworkAttachment pod)
    {
        DeleteNamespace(pod.NetworkNamespace!);
        DeleteLink(Names.HostVeth(pod.Slot));
        lock (_gate) _pods.Remove(pod.Slot);
    }

    public void Dispose()
    {
        List<PodNetworkAttachment> pods;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            pods = [.. _pods.Values];
        }
        foreach (var pod in pods) RemovePod(pod);
        RemoveLeftovers(Names, _log);
        _rangeLock.Dispose();
        try { File.Delete(_rangeLock.Name); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Deletes every namespace, veth and bridge whose name says it belongs to this mesh.</summary>
    public static void RemoveLeftovers(MeshNetworkNames names, Action<string> log)
    {
        var (code, namespaces, _) = NetworkCommands.TryRun("ip", ["netns", "list"], null, out _);
        if (code == 0)
        {
            foreach (var line in namespaces.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var name = line.Split(' ', 2)[0];
                if (!name.StartsWith(names.NamespacePrefix, StringComparison.Ordinal)) continue;
                log($"runtime: removing network namespace {name} of an earlier run");
                DeleteNamespace(name);
            }
        }
        var (linkCode, links, _) = NetworkCommands.TryRun("ip", ["-o", "link", "show"], null, out _);
        if (linkCode == 0)
        {
            foreach (var line in links.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                // "12: mwv1a2b3c4d05@if2: <...>": the name is the second field, up to '@'.
                var fields = line.Split(':', 3, StringSplitOptions.TrimEntries);
                if (fields.Length < 2) continue;
                var name = fields[1].Split('@')[0];
                if (name == names.Bridge || name.StartsWith(names.VethPrefix, StringComparison.Ordinal)) DeleteLink(name);
            }
        }
        try
        {
            if (Directory.Exists(names.RunDirectory)) Directory.Delete(names.RunDirectory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log($"runtime: could not remove {names.RunDirectory}: {e.Message}");
        }
    }

    private static void DeleteNamespace(string name) => NetworkCommands.TryRun("ip", ["netns", "delete", name], null, out _);

    private static void DeleteLink(string name) => NetworkCommands.TryRun("ip", ["link", "delete", name], null, out _);
}
