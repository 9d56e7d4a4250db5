using System.Collections.Immutable;
using System.Net;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Network;

/// <summary>
/// The runtime's side of the pod network mode: gives each pod its namespace, users, files and
/// iptables rules before its containers start, keeps every pod's hosts file and Service
/// translation current as Services and pods change, and removes it all again.
/// </summary>
public sealed class PodNetworkController : IAsyncDisposable
{
    private readonly NamespacePodNetwork _network;
    private readonly ImmutableArray<ControlPlaneRelay> _relays;
    private readonly Action<string> _log;
    private readonly NodeRoutes _nodeRoutes;
    private readonly object _gate = new();
    private readonly Dictionary<string, PodState> _pods = new(StringComparer.Ordinal);
    private ServiceDirectory _directory = new([], []);

    private sealed class PodState(PodPlan plan, PodNetworkAttachment attachment)
    {
        public PodPlan Plan { get; } = plan;
        public PodNetworkAttachment Attachment { get; } = attachment;
        public string? Hosts { get; set; }
        public string? Rules { get; set; }
    }

    private PodNetworkController(NamespacePodNetwork network, ImmutableArray<ControlPlaneRelay> relays, Action<string> log)
    {
        _network = network;
        _relays = relays;
        _log = log;
        _nodeRoutes = new NodeRoutes(network.PodRange, log);
    }

    /// <summary>
    /// Creates the node's pod network and one control-plane relay per replica: relay <c>i</c> forwards to
    /// <paramref name="controlPlane"/>(<c>i</c>), looked up per connection (a replica may move). A node of a shared
    /// mesh claims its pod range with <paramref name="claimInMesh"/> (see <see cref="NamespacePodNetwork.Create"/>).
    /// </summary>
    public static PodNetworkController Start(string stateRoot, int replicas, Func<int, EndPoint?> controlPlane, IReadOnlyCollection<Ipv4Range> reserved,
        Func<Ipv4Range, bool>? claimInMesh, Action<string> log)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        var network = NamespacePodNetwork.Create(stateRoot, Ipv4Range.Parse(ServiceSpec.ClusterIpRange), reserved, claimInMesh, log);
        var relays = ImmutableArray.CreateBuilder<ControlPlaneRelay>(replicas);
        try
        {
            for (var i = 0; i < replicas; i++)
            {
                var replica = i;
                relays.Add(new ControlPlaneRelay(new IPEndPoint(network.Gateway, PodIsolation.RelayPort(replica)), () => controlPlane(replica)));
            }
            return new PodNetworkController(network, relays.MoveToImmutable(), log);
        }
        catch
        {
            foreach (var relay in relays) relay.DisposeAsync().AsTask().GetAwaiter().GetResult();
            network.Dispose();
            throw;
        }
    }

    /// <summary>The /24 this node's pods take their addresses from.</summary>
    public Ipv4Range PodRange => _network.PodRange;

    /// <summary>Removes what a crashed earlier run of this mesh left (namespaces, veths, bridge).</summary>
    public static void RemoveLeftovers(string stateRoot, Action<string> log) =>
        NamespacePodNetwork.RemoveLeftovers(MeshNetworkNames.For(stateRoot), log);

    /// <summary>A new pod's namespace and users.</summary>
    public PodIsolation Attach()
    {
        var attachment = _network.AddPod();
        return new PodIsolation
        {
            Network = attachment,
            Users = PodUsers.For(_network.PodRange, attachment.Slot),
            ControlPlaneUrl = PodIsolation.ControlPlaneUrls(_relays.Length),
            StagingDirectory = Path.Combine(_network.Names.RunDirectory, "stage"),
        };
    }

    public void Detach(PodIsolation isolation) => _network.RemovePod(isolation.Network);

    /// <summary>
    /// Before the pod's containers start: its folder (readable by its users), its certificate folder
    /// (the sidecar's), the public root certificate, its hosts file, and its iptables rules.
    /// </summary>
    public void Prepare(PodPlan plan, PodIsolation isolation, string rootCertFile)
    {
        Directory.CreateDirectory(plan.Directory);
        SetMode(plan.Directory, (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(Path.Combine(plan.Directory, "logs"));
        var certs = plan.CertDirectory;
        Directory.CreateDirectory(certs);
        Posix.Chown(certs, isolation.Users.ProxyUid, isolation.Users.ProxyUid);
        // Only the sidecar writes and lists its certificates; the app user cannot reach its key.
        SetMode(certs, (UnixFileMode)0b111_000_000);
        Posix.Chown(Path.Combine(plan.Directory, "etc"), 0, 0);
        File.Copy(rootCertFile, PodIsolation.RootCertFile(plan.Directory), overwrite: true);
        SetMode(PodIsolation.RootCertFile(plan.Directory), (UnixFileMode)0b110_100_100);
        File.WriteAllText(PodIsolation.ResolvConfFile(plan.Directory), ResolvConf.Render(plan.Namespace));
        SetMode(PodIsolation.ResolvConfFile(plan.Directory), (UnixFileMode)0b110_100_100);
        var state = new PodState(plan, isolation.Network);
        lock (_gate) _pods[plan.Directory] = state;
        Refresh(state, _directory);
        if (plan.Sidecar)
        {
            var capture = CaptureSettings.FromAnnotations(isolation.Users.ProxyUid, plan.Annotations);
            NamespacePodNetwork.ApplyRules(isolation.Network, IptablesRules.Capture(capture));
        }
    }

    public void Forget(PodPlan plan)
    {
        lock (_gate) _pods.Remove(plan.Directory);
    }

    /// <summary>Routes this node's namespace to the other nodes' pod ranges (see <see cref="NodeRoutes"/>).</summary>
    public void RouteToNodes(IEnumerable<Node> nodes, string self, string? selfAddress, DateTimeOffset now) =>
        _nodeRoutes.Follow(nodes, self, selfAddress, now);

    /// <summary>
    /// Brings every pod's hosts file and Service translation up to date: the endpoints are this node's running pods
    /// and <paramref name="elsewhere"/>, the running pods of the mesh's other nodes.
    /// </summary>
    public void Update(IEnumerable<Service> services, IEnumerable<PodPlan> running, IEnumerable<PodEndpoint> elsewhere)
    {
        var endpoints = running.Select(p => new PodEndpoint(p.Namespace, p.Labels, p.PodIp, p.Spec.Containers)).Concat(elsewhere).ToList();
        var directory = ServiceDirectory.Build(services, endpoints);
        List<PodState> pods;
        lock (_gate)
        {
            _directory = directory;
            pods = [.. _pods.Values];
        }
        foreach (var pod in pods)
        {
            try
            {
                Refresh(pod, directory);
            }
            catch (Exception e) when (e is IOException or PodNetworkException or UnauthorizedAccessException)
            {
                _log($"runtime: pod {pod.Plan.Namespace}/{pod.Plan.Name}: could not update its network: {e.Message}");
            }
        }
    }

    private void Refresh(PodState pod, ServiceDirectory directory)
    {
        var names = directory.Names.Add(new ServiceName("istio-system", "istiod", _network.Gateway));
        var hosts = HostsFile.Render(pod.Plan.Namespace, pod.Plan.Name, pod.Plan.PodIp, names);
        if (hosts != pod.Hosts)
        {
            WriteInPlace(Path.Combine(pod.Plan.Directory, "hosts"), hosts);
            pod.Hosts = hosts;
        }
        // A meshed pod's sidecar maps clusterIPs itself; a pod without one needs kube-proxy's rules.
        if (pod.Plan.Sidecar || pod.Plan.Containers.Any(c => c.Name == SidecarInjection.SidecarContainerName)) return;
        var rules = IptablesRules.Services(directory.Routes);
        if (rules == pod.Rules) return;
        NamespacePodNetwork.ApplyRules(pod.Attachment, rules);
        pod.Rules = rules;
    }

    /// <summary>
    /// Rewrites the file's content without replacing the file: containers see it through a bind
    /// mount of this inode, which a rename would leave behind.
    /// </summary>
    private static void WriteInPlace(string path, string content)
    {
        using var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite);
        var bytes = System.Text.Encoding.UTF8.GetBytes(content);
        stream.Write(bytes);
        stream.SetLength(bytes.Length);
        SetMode(path, (UnixFileMode)0b110_100_100);
    }

    private static void SetMode(string path, UnixFileMode mode)
    {
        // Pod network mode only exists on Linux; the guard is for the analyzer.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var relay in _relays) await relay.DisposeAsync().ConfigureAwait(false);
        _nodeRoutes.Dispose();
        _network.Dispose();
    }
}
