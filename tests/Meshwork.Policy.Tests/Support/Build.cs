using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;

namespace Meshwork.Policy.Tests;

/// <summary>Resources built in code, shaped like the manifests a user writes.</summary>
internal static class Build
{
    public static ImmutableSortedDictionary<string, string> Labels(params string[] pairs)
    {
        var b = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            b[pair[..eq]] = pair[(eq + 1)..];
        }
        return b.ToImmutable();
    }

    public static ObjectMeta Meta(string? ns, string name, ImmutableSortedDictionary<string, string>? labels = null, ImmutableSortedDictionary<string, string>? annotations = null, DateTimeOffset? created = null) => new()
    {
        Name = name,
        Namespace = ns,
        Labels = labels ?? ImmutableSortedDictionary<string, string>.Empty,
        Annotations = annotations ?? ImmutableSortedDictionary<string, string>.Empty,
        CreationTimestamp = created,
    };

    public static Namespace Namespace(string name, bool injection = false) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(null, name, injection ? Labels("istio-injection=enabled") : null),
    };

    public static Deployment Deployment(string ns, string name, string? serviceAccount = null, int[]? ports = null, ImmutableSortedDictionary<string, string>? labels = null, ImmutableSortedDictionary<string, string>? annotations = null) => new()
    {
        ApiVersion = "apps/v1",
        Metadata = Meta(ns, name),
        Spec = new DeploymentSpec
        {
            Selector = new LabelSelector(labels ?? Labels("app=" + name)),
            Template = new PodTemplate
            {
                Labels = labels ?? Labels("app=" + name),
                Annotations = annotations ?? ImmutableSortedDictionary<string, string>.Empty,
                Spec = new PodSpec
                {
                    ServiceAccountName = serviceAccount ?? name,
                    Containers = [new Container { Name = name, Ports = [.. (ports ?? []).Select(p => new ContainerPort { Port = p })] }],
                },
            },
        },
    };

    public static Service Service(string ns, string name, params ServicePort[] ports) => Service(ns, name, Labels("app=" + name), ports);

    public static Service Service(string ns, string name, ImmutableSortedDictionary<string, string> selector, params ServicePort[] ports) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(ns, name),
        Spec = new ServiceSpec { Selector = new LabelSelector(selector), Ports = [.. ports] },
    };

    public static ServicePort Port(int port, string? name = null, int? targetPort = null) => new()
    {
        Port = port,
        Name = name,
        TargetPort = targetPort is int t ? IntOrString.Of(t) : null,
    };

    public static PeerAuthentication Pa(string ns, string name, MtlsMode mode, ImmutableSortedDictionary<string, string>? selector = null, ImmutableSortedDictionary<int, MtlsMode>? portLevel = null, DateTimeOffset? created = null) => new()
    {
        ApiVersion = "security.istio.io/v1beta1",
        Metadata = Meta(ns, name, created: created),
        Spec = new PeerAuthenticationSpec
        {
            Mode = mode,
            Selector = selector is null ? null : new LabelSelector(selector),
            PortLevelMtls = portLevel ?? ImmutableSortedDictionary<int, MtlsMode>.Empty,
        },
    };

    public static ImmutableSortedDictionary<int, MtlsMode> Ports(params (int Port, MtlsMode Mode)[] ports)
        => ports.ToImmutableSortedDictionary(p => p.Port, p => p.Mode);

    public static AuthorizationPolicy Ap(string ns, string name, AuthorizationAction action, ImmutableArray<AuthorizationRule> rules, ImmutableSortedDictionary<string, string>? selector = null, bool dryRun = false) => new()
    {
        ApiVersion = "security.istio.io/v1",
        Metadata = Meta(ns, name, annotations: dryRun ? Labels("istio.io/dry-run=true") : null),
        Spec = new AuthorizationPolicySpec
        {
            Action = action,
            Rules = rules,
            Selector = selector is null ? null : new LabelSelector(selector),
        },
    };

    public static DestinationRule Dr(string ns, string name, string host, ClientTlsMode? mode = null, string[]? exportTo = null, ImmutableArray<PortTrafficPolicy> portLevel = default, ImmutableArray<Subset> subsets = default, string[]? subjectAltNames = null, DateTimeOffset? created = null) => new()
    {
        ApiVersion = "networking.istio.io/v1",
        Metadata = Meta(ns, name, created: created),
        Spec = new DestinationRuleSpec
        {
            Host = host,
            ExportTo = [.. exportTo ?? []],
            Subsets = subsets.IsDefault ? [] : subsets,
            TrafficPolicy = mode is null && portLevel.IsDefaultOrEmpty ? null : new TrafficPolicy
            {
                Tls = mode is ClientTlsMode m ? new ClientTlsSettings { Mode = m, SubjectAltNames = [.. subjectAltNames ?? []] } : null,
                PortLevelSettings = portLevel.IsDefault ? [] : portLevel,
            },
        },
    };

    public static MeshState Mesh(params Resource[] resources) => MeshState.From(resources);

    public static MeshState Mesh(IEnumerable<Resource> resources, MeshConfig config) => MeshState.From(resources) with { Mesh = config };

    public static Workload Workload(string ns, string name, bool sidecar = true, string? serviceAccount = null, ImmutableSortedDictionary<string, string>? labels = null) => new()
    {
        Namespace = ns,
        Name = name,
        HasSidecar = sidecar,
        ServiceAccount = serviceAccount ?? name,
        Labels = labels ?? Labels("app=" + name),
    };

    /// <summary>The mtls-migration setup (seed 003): foo and bar injected, legacy not; httpbin (8000 → 8080) and sleep.</summary>
    public static List<Resource> MigrationSetup()
    {
        var list = new List<Resource> { Namespace("foo", true), Namespace("bar", true), Namespace("legacy") };
        foreach (var ns in new[] { "foo", "bar" })
        {
            list.Add(Deployment(ns, "httpbin", ports: [8080], labels: Labels("app=httpbin", "version=v1")));
            list.Add(Service(ns, "httpbin", Labels("app=httpbin"), Port(8000, "http", 8080)));
            list.Add(Deployment(ns, "sleep", ports: [80]));
        }
        list.Add(Deployment("legacy", "sleep", ports: [80]));
        return list;
    }
}
