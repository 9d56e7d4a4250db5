using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Yaml;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>
/// Istio's Sidecar resource, with the examples of its reference page. The services each sidecar
/// should know were worked out by hand from what the page says of each example, not recorded from
/// Meshwork's output:
/// - the root-namespace default ("./*", "istio-system/*") lets a sidecar reach its own namespace and
///   istio-system, "." being the workload's namespace;
/// - a namespace's Sidecar without selector overrides that default for its namespace;
/// - a Sidecar whose workloadSelector selects the workload is preferred over the namespace's;
/// - "~/*" imports nothing, "*/host" one host from whichever namespace;
/// - outboundTrafficPolicy comes from the Sidecar, else from the mesh config, else ALLOW_ANY.
/// </summary>
public sealed class SidecarScopeTests
{
    private const string Services = """
        apiVersion: v1
        kind: Service
        metadata: {name: productpage, namespace: prod-us1}
        spec: {selector: {app: productpage}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: prod-us1}
        spec: {selector: {app: ratings}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: catalog, namespace: prod-apis}
        spec: {selector: {app: catalog}, ports: [{name: http, port: 80}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: istiod, namespace: istio-system}
        spec: {selector: {app: istiod}, ports: [{name: grpc, port: 15010}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: other}
        spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
        """;

    /// <summary>The reference page's global default, in the root namespace.</summary>
    private const string RootDefault = """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: istio-system}
        spec:
          egress:
          - hosts:
            - "./*"
            - "istio-system/*"
        """;

    /// <summary>The page's override of the global default for prod-us1.</summary>
    private const string ProdUs1Default = """
        apiVersion: networking.istio.io/v1beta1
        kind: Sidecar
        metadata: {name: default, namespace: prod-us1}
        spec:
          egress:
          - hosts:
            - "prod-us1/*"
            - "prod-apis/*"
            - "istio-system/*"
        """;

    /// <summary>The page's ratings Sidecar (its ingress listener and egress port are not scoping, and are warned about on apply).</summary>
    private const string Ratings = """
        apiVersion: networking.istio.io/v1alpha3
        kind: Sidecar
        metadata: {name: ratings, namespace: prod-us1}
        spec:
          workloadSelector:
            labels:
              app: ratings
          egress:
          - hosts:
            - "prod-us1/*"
          - hosts:
            - "istio-system/*"
        """;

    private const string ProductPage = "productpage.prod-us1.svc.cluster.local";
    private const string RatingsHost = "ratings.prod-us1.svc.cluster.local";
    private const string Catalog = "catalog.prod-apis.svc.cluster.local";
    private const string Istiod = "istiod.istio-system.svc.cluster.local";
    private const string Reviews = "reviews.other.svc.cluster.local";

    [Fact]
    public void Without_a_Sidecar_every_service_of_the_mesh_is_known_and_the_snapshot_carries_no_scope()
    {
        var snapshot = Generate(Mesh(), "prod-us1", "productpage");

        Assert.Equal([Istiod, Reviews, Catalog, ProductPage, RatingsHost], Hosts(snapshot));
        Assert.Null(snapshot.Scope);
    }

    [Fact]
    public void The_root_namespace_default_limits_a_workload_to_its_own_namespace_and_istio_system()
    {
        var snapshot = Generate(Mesh(RootDefault), "other", "reviews");

        Assert.Equal([Istiod, Reviews], Hosts(snapshot));
        Assert.Equal("Sidecar istio-system/default (root namespace default)", snapshot.Scope!.Sidecar);
        Assert.Equal(["other/*", "istio-system/*"], snapshot.Scope.Hosts.ToArray());
    }

    [Fact]
    public void A_namespace_default_overrides_the_root_default_for_its_namespace_only()
    {
        var mesh = Mesh(RootDefault, ProdUs1Default);

        Assert.Equal([Istiod, Catalog, ProductPage, RatingsHost], Hosts(Generate(mesh, "prod-us1", "productpage")));
        Assert.Equal([Istiod, Reviews], Hosts(Generate(mesh, "other", "reviews")));
    }

    [Fact]
    public void A_Sidecar_that_selects_the_workload_wins_over_the_namespace_default()
    {
        var mesh = Mesh(RootDefault, ProdUs1Default, Ratings);

        var ratings = Generate(mesh, "prod-us1", "ratings");
        var productpage = Generate(mesh, "prod-us1", "productpage");

        Assert.Equal([Istiod, ProductPage, RatingsHost], Hosts(ratings));
        Assert.Equal("Sidecar prod-us1/ratings (workload selector)", ratings.Scope!.Sidecar);
        Assert.Equal([Istiod, Catalog, ProductPage, RatingsHost], Hosts(productpage));
    }

    [Fact]
    public void A_root_namespace_Sidecar_with_a_selector_is_no_default_for_other_namespaces()
    {
        var selective = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: gateways-only, namespace: istio-system}
            spec:
              workloadSelector: {labels: {app: reviews}}
              egress: [{hosts: ["istio-system/*"]}]
            """;

        Assert.Equal(5, Hosts(Generate(Mesh(selective), "other", "reviews")).Length);
    }

    [Fact]
    public void Tilde_imports_no_namespace_and_star_slash_host_one_service_from_any()
    {
        var narrow = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: prod-apis}
            spec:
              egress:
              - hosts: ["~/*", "*/reviews.other.svc.cluster.local"]
            """;

        Assert.Equal([Reviews], Hosts(Generate(Mesh(narrow), "prod-apis", "catalog")));
    }

    [Fact]
    public void A_wildcard_dns_name_matches_the_services_under_it()
    {
        var wildcard = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: other}
            spec:
              egress:
              - hosts: ["*/*.prod-us1.svc.cluster.local"]
            """;

        Assert.Equal([ProductPage, RatingsHost], Hosts(Generate(Mesh(wildcard), "other", "reviews")));
    }

    [Fact]
    public void REGISTRY_ONLY_comes_from_the_Sidecar_else_from_the_mesh_config()
    {
        var meshConfig = """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: istio, namespace: istio-system}
            data:
              mesh: |
                outboundTrafficPolicy:
                  mode: REGISTRY_ONLY
            """;
        var allowAny = """
            apiVersion: networking.istio.io/v1
            kind: Sidecar
            metadata: {name: default, namespace: other}
            spec:
              outboundTrafficPolicy: {mode: ALLOW_ANY}
            """;
        var mesh = Mesh(meshConfig, allowAny);

        var blackHole = Generate(mesh, "prod-us1", "productpage").Scope!;
        var passthrough = Generate(mesh, "other", "reviews").Scope!;

        Assert.Equal((UnlistedTraffic.BlackHole, "mesh config", (string?)null), (blackHole.Unlisted, blackHole.UnlistedSource, blackHole.Sidecar));
        Assert.Equal((UnlistedTraffic.Passthrough, "Sidecar other/default"), (passthrough.Unlisted, passthrough.UnlistedSource));
        // An outboundTrafficPolicy alone scopes nothing.
        Assert.Equal(5, Generate(mesh, "other", "reviews").Outbound.Length);
    }

    [Fact]
    public void Proxies_under_one_Sidecar_share_one_outbound_list()
    {
        var context = new GenerationContext(Mesh(RootDefault));

        var first = SnapshotGenerator.Generate(Registration("other", "reviews", "reviews-1"), context, []);
        var second = SnapshotGenerator.Generate(Registration("other", "reviews", "reviews-2"), context, []);

        Assert.True(first.Outbound == second.Outbound, "the same array instance, encoded once");
    }

    private static MeshState Mesh(params string[] documents)
    {
        var read = ManifestReader.Read(string.Join("\n---\n", [Services, .. documents]), "sidecar-scope.yaml");
        Assert.False(read.HasErrors, string.Join("\n", read.Errors));
        return MeshState.From(read.Resources);
    }

    private static ProxySnapshot Generate(MeshState mesh, string ns, string app)
        => SnapshotGenerator.Generate(Registration(ns, app, $"{app}-1"), mesh, []);

    private static ProxyRegistration Registration(string ns, string app, string pod) => new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = ns,
        Pod = pod,
        Workload = app,
        ServiceAccount = app,
        PodIp = "127.0.3.1",
        Labels = Labels(("app", app)),
        Ports = [9080],
    };

    private static string[] Hosts(ProxySnapshot snapshot) => [.. snapshot.Outbound.Select(s => s.Hostname)];
}
