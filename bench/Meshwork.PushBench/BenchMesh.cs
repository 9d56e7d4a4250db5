using System.Collections.Immutable;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

/// <summary>The resources and registrations both modes of the benchmark build their meshes from: one app label per workload, its service account named after it.</summary>
internal static class BenchMesh
{
    /// <summary>A meshed sidecar of app <paramref name="app"/> at <paramref name="podIp"/>, serving port 8080, reading deltas.</summary>
    public static ProxyRegistration Sidecar(string ns, string pod, string app, string podIp) => new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = ns,
        Pod = pod,
        Workload = app,
        ServiceAccount = app,
        PodIp = podIp,
        Labels = Labels(app),
        Ports = [8080],
        Deltas = true,
    };

    /// <summary>A running, ready, meshed pod of app <paramref name="app"/> with container port 8080.</summary>
    public static Pod Pod(string ns, string name, string app, string address) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = Labels(app) },
        Spec = new PodSpec { ServiceAccountName = app, Containers = [new Container { Name = app, Ports = [new ContainerPort { Port = 8080 }] }] },
        Status = new PodStatus { Phase = "Running", PodIP = address, ContainerStatuses = [new ContainerStatus { Name = app, Ready = true }] },
    };

    /// <summary>A Service selecting app <paramref name="app"/>, HTTP port <paramref name="port"/> to 8080.</summary>
    public static Service Service(string ns, string name, string app, int port) => new()
    {
        ApiVersion = "v1",
        Metadata = new ObjectMeta { Name = name, Namespace = ns },
        Spec = new ServiceSpec
        {
            Selector = new LabelSelector(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("app", app)])),
            Ports = [new ServicePort { Name = "http", Port = port, TargetPort = IntOrString.Of(8080) }],
        },
    };

    /// <summary>The mesh-wide PeerAuthentication: STRICT or PERMISSIVE.</summary>
    public static PeerAuthentication MeshWideMtls(bool strict) => new()
    {
        ApiVersion = "security.istio.io/v1",
        Metadata = new ObjectMeta { Name = "default", Namespace = "istio-system" },
        Spec = new PeerAuthenticationSpec { Mode = strict ? MtlsMode.Strict : MtlsMode.Permissive },
    };

    /// <summary>The push benchmark's proxy <paramref name="i"/>: an httpbin sidecar in namespace ns{i mod namespaces}.</summary>
    public static ProxyRegistration PushSidecar(int i, int namespaces) => Sidecar($"ns{i % namespaces}", $"httpbin-{i}", "httpbin", PodIp(i));

    /// <summary>The identity the push benchmark's proxy <paramref name="i"/> is issued a certificate for.</summary>
    public static SpiffeId PushIdentity(int i, int namespaces) => new("cluster.local", $"ns{i % namespaces}", "httpbin");

    /// <summary>
    /// The push benchmark's mesh: one httpbin Service per namespace and one pod per proxy; STRICT or PERMISSIVE mesh-wide; and
    /// <paramref name="extraPods"/> more pods (no proxy of their own) behind ns0's httpbin, which every proxy knows.
    /// </summary>
    public static MeshState PushMesh(int proxies, int namespaces, bool strict, int extraPods)
    {
        var resources = new List<Resource>();
        for (var n = 0; n < namespaces; n++) resources.Add(Service($"ns{n}", "httpbin", "httpbin", 8000));
        for (var i = 0; i < proxies + extraPods; i++) resources.Add(Pod(i < proxies ? $"ns{i % namespaces}" : "ns0", $"httpbin-{i}", "httpbin", PodIp(i)));
        resources.Add(MeshWideMtls(strict));
        return MeshState.From(resources);
    }

    private static string PodIp(int i) => $"127.1.{i / 250}.{i % 250 + 1}";

    private static ImmutableSortedDictionary<string, string> Labels(string app) => ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
        [new KeyValuePair<string, string>("app", app), new("security.istio.io/tlsMode", "istio")]);
}
