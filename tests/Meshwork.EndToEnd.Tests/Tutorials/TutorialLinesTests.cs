using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;

namespace Meshwork.EndToEnd.Tests.Tutorials;

/// <summary>
/// The tutorials line by line: every kubectl/istioctl line of a tutorial, in order, with the program name
/// replaced by `meshwork`, each outcome the tutorial states checked, and `analyze` passing the final state.
/// One mesh per tutorial, in the pod network mode the suite runs in. Lines that cannot hold in that mode (the
/// pod's own localhost and files, port 80 without root) are listed as pending with the reason.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed partial class TutorialLinesTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    /// <summary>Seed 003's loop, word for word (shared with the test that runs it with the real kubectl).</summary>
    private const string MigrationLoop = MtlsMigrationTests.CurlLoop;

    private const string StrictHeredoc = """
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: "default"
        spec:
          mtls:
            mode: STRICT
        EOF
        """;

    /// <summary>Seed 003, Istio's mTLS migration task.</summary>
    public static IEnumerable<TutorialLine> MtlsMigration() =>
    [
        TutorialLine.Once("kubectl create ns foo", "namespace/foo created"),
        TutorialLine.Once("kubectl apply -f <(istioctl kube-inject -f httpbin.yaml) -n foo", "deployment.apps/httpbin created"),
        TutorialLine.Once("kubectl apply -f <(istioctl kube-inject -f sleep.yaml) -n foo", "deployment.apps/sleep created"),
        TutorialLine.Once("kubectl create ns bar", "namespace/bar created"),
        TutorialLine.Once("kubectl apply -f <(istioctl kube-inject -f httpbin.yaml) -n bar", "deployment.apps/httpbin created"),
        TutorialLine.Once("kubectl apply -f <(istioctl kube-inject -f sleep.yaml) -n bar", "deployment.apps/sleep created"),
        TutorialLine.Once("kubectl create ns legacy", "namespace/legacy created"),
        TutorialLine.Once("kubectl apply -f samples/sleep/sleep.yaml -n legacy", "deployment.apps/sleep created"),
        TutorialLine.Until(MigrationLoop,
            "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
            "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
            "sleep.legacy to httpbin.foo: 200", "sleep.legacy to httpbin.bar: 200"),
        TutorialLine.Once("kubectl apply -n foo -f - <<EOF\n" + StrictHeredoc, "peerauthentication.security.istio.io/default created"),
        TutorialLine.Until(MigrationLoop,
            "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
            "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
            "sleep.legacy to httpbin.foo: 000", "command terminated with exit code 56",
            "sleep.legacy to httpbin.bar: 200"),
        TutorialLine.Once("kubectl apply -n istio-system -f - <<EOF\n" + StrictHeredoc, "peerauthentication.security.istio.io/default created"),
        // The tutorial shows no output here; it says requests from sleep.legacy now fail for both.
        TutorialLine.Until(MigrationLoop,
            "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
            "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
            "sleep.legacy to httpbin.foo: 000", "command terminated with exit code 56",
            "sleep.legacy to httpbin.bar: 000", "command terminated with exit code 56"),
    ];

    private const string NoistioCurl =
        "kubectl -n noistio exec -it $(kubectl get pod -n noistio -l app=sleep -o jsonpath='{.items..metadata.name}') -- curl  -s http://frontend.hipstershopv1v2:8080 -o /dev/null -w '%{http_code}'";

    /// <summary>Seed 004, mTLS throughout the mesh with a PERMISSIVE exception for the shop's frontend.</summary>
    public static IEnumerable<TutorialLine> HipstershopStrict() =>
    [
        TutorialLine.Once("kubectl create namespace noistio", "namespace/noistio created"),
        TutorialLine.Once("kubectl -n noistio apply -f modules/security/mtls/config/sleep.yaml", "deployment.apps/sleep created"),
        TutorialLine.Bounded("kubectl get pods -n noistio -w", "sleep-", "Running"),
        // The tutorial says "the full HTML page"; its own -o /dev/null -w prints the status of that page.
        TutorialLine.Until(NoistioCurl, "200"),
        TutorialLine.Once("""
            kubectl apply -f - <<EOF
            apiVersion: "security.istio.io/v1beta1"
            kind: "PeerAuthentication"
            metadata:
              name: "default"
              namespace: "istio-system"
            spec:
              mtls:
                mode: STRICT
            EOF
            """, "peerauthentication.security.istio.io/default created"),
        TutorialLine.Until(NoistioCurl, "000", "command terminated with exit code 56"),
        TutorialLine.Once("""
            kubectl apply -f - <<EOF
            apiVersion: "security.istio.io/v1beta1"
            kind: "PeerAuthentication"
            metadata:
              name: "frontend"
              namespace: "hipstershopv1v2"
            spec:
              selector:
                matchLabels:
                  app: frontend.hipstershopv1v2.svc.cluster.local
              mtls:
                mode: PERMISSIVE
            EOF
            """, "peerauthentication.security.istio.io/frontend created"),
        TutorialLine.Until(NoistioCurl, "200"),
        TutorialLine.Until(NoistioCurl.Replace("frontend.hipstershopv1v2:8080", "adservice.hipstershopv1v2:9555", StringComparison.Ordinal),
            "000", "command terminated with exit code 56"),
    ];

    /// <summary>Why seed 001's curl lines are pending where the gateway could not bind port 80 (no root): it serves 8080 then.</summary>
    internal const string NeedsPort80 = "curl http://$GATEWAY_IP reaches port 80, which the ingress gateway binds only as root";

    private const string GatewayCurl = "curl http://$GATEWAY_IP";

    /// <summary>customers' own answer (the web-frontend shows it HTML-encoded).</summary>
    private const string CustomersJson = "{\"name\": \"Jewel Schaefer\"}";

    private const string CustomersCurl = "curl -H \"Host: customers.default.svc.cluster.local\" http://$GATEWAY_IP";

    /// <summary>A curl at the gateway's address: run where the gateway serves port 80, pending elsewhere.</summary>
    private static TutorialLine AtGateway(bool onPort80, TutorialLine line) => onPort80 ? line : TutorialLine.Pending(line.Typed, NeedsPort80);

    /// <summary>Seed 001, PERMISSIVE then STRICT with a frontend outside the mesh behind the ingress gateway.</summary>
    public static IEnumerable<TutorialLine> GatewayPermissive(bool gatewayOnPort80) =>
    [
        TutorialLine.Once("kubectl apply -f gateway.yaml", "gateway.networking.istio.io/gateway created"),
        TutorialLine.Once("kubectl label namespace default istio-injection-"),
        TutorialLine.Once("kubectl apply -f web-frontend.yaml", "deployment.apps/web-frontend created"),
        TutorialLine.Until("kubectl get po", "NAME", "READY", "STATUS", "web-frontend-", "1/1", "Running"),
        TutorialLine.Once("kubectl label namespace default istio-injection=enabled", "namespace/default labeled"),
        TutorialLine.Once("kubectl apply -f customers-v1.yaml", "deployment.apps/customers-v1 created"),
        // Sorted by name, as kubectl lists them: customers-v1 with its sidecar (2/2), web-frontend alone (1/1).
        TutorialLine.Until("kubectl get po", "customers-v1-", "2/2", "Running", "web-frontend-", "1/1", "Running"),
        TutorialLine.Once("export GATEWAY_IP=$(kubectl get svc -n istio-system istio-ingressgateway -ojsonpath='{.status.loadBalancer.ingress[0].ip}')"),
        // "If we try to navigate to the GATEWAY_IP, we will get the web page with the customer service's response": as the
        // request loop of terminal 2 types it, once.
        AtGateway(gatewayOnPort80, TutorialLine.Until(GatewayCurl, "<title>Web Frontend</title>", "Jewel Schaefer")),
        TutorialLine.Once("istioctl dash kiali", "http"),
        TutorialLine.Once("kubectl apply -f vs-customers-gateway.yaml", "virtualservice.networking.istio.io/customers configured"),
        AtGateway(gatewayOnPort80, TutorialLine.Until(CustomersCurl, CustomersJson)),
        TutorialLine.Once("kubectl apply -f strict-mtls.yaml", "peerauthentication.security.istio.io/default created"),
        // "we will see the ECONNRESET error message from the web-frontend", while the calls to customers continue to work.
        AtGateway(gatewayOnPort80, TutorialLine.Until(GatewayCurl, "ECONNRESET")),
        AtGateway(gatewayOnPort80, TutorialLine.Until(CustomersCurl, CustomersJson)),
        TutorialLine.Once("kubectl delete peerauthentication default", "peerauthentication.security.istio.io \"default\" deleted"),
        // "and the errors will disappear".
        AtGateway(gatewayOnPort80, TutorialLine.Until(GatewayCurl, "<title>Web Frontend</title>", "Jewel Schaefer")),
        .. CustomersCleanup,
    ];

    /// <summary>The four delete lines that end seeds 000 and 001.</summary>
    private static IEnumerable<TutorialLine> CustomersCleanup =>
    [
        TutorialLine.Once("kubectl delete deploy web-frontend customers-v1", "deployment.apps \"web-frontend\" deleted", "deployment.apps \"customers-v1\" deleted"),
        TutorialLine.Once("kubectl delete svc customers web-frontend", "service \"customers\" deleted", "service \"web-frontend\" deleted"),
        TutorialLine.Once("kubectl delete vs customers web-frontend",
            "virtualservice.networking.istio.io \"customers\" deleted", "virtualservice.networking.istio.io \"web-frontend\" deleted"),
        TutorialLine.Once("kubectl delete gateway gateway", "gateway.networking.istio.io \"gateway\" deleted"),
    ];

    /// <summary>
    /// Seed 000, the same lab told more briefly: its web-frontend is already running without a sidecar when it
    /// starts (the test deploys it first), and its customers-v1.yaml line is printed twice, so it is typed twice.
    /// </summary>
    public static IEnumerable<TutorialLine> GatewayLab() =>
    [
        TutorialLine.Once("kubectl apply -f gateway.yaml", "gateway.networking.istio.io/gateway created"),
        TutorialLine.Once("kubectl label namespace default istio-injection=enabled", "namespace/default labeled"),
        TutorialLine.Once("kubectl apply -f customers-v1.yaml", "deployment.apps/customers-v1 created"),
        TutorialLine.Once("kubectl apply -f customers-v1.yaml", "deployment.apps/customers-v1 unchanged"),
        TutorialLine.Until("kubectl get po", "customers-v1-", "2/2", "Running", "web-frontend-", "1/1", "Running"),
        TutorialLine.Once("getmesh istioctl dash kiali", "http"),
        TutorialLine.Once("kubectl apply -f vs-customers-gateway.yaml", "virtualservice.networking.istio.io/customers configured"),
        TutorialLine.Once("kubectl apply -f strict-mtls.yaml", "peerauthentication.security.istio.io/default created"),
        TutorialLine.Once("kubectl delete peerauthentication default", "peerauthentication.security.istio.io \"default\" deleted"),
        .. CustomersCleanup,
    ];

    [Fact]
    public async Task Seed_001_gateway_permissive_then_strict_runs_line_by_line_and_analyze_passes_its_final_state()
    {
        await _mesh.UpAsync();
        var shell = new TutorialShell(_mesh);
        foreach (var file in new[] { "gateway.yaml", "web-frontend.yaml", "customers-v1.yaml", "vs-customers-gateway.yaml", "strict-mtls.yaml" })
        {
            shell.Provide(file, $"customers/{file}");
        }

        // The gateway binds port 80 as root (both pod network modes), else 8080, which the tutorial's curl does not name.
        var gatewayPort = (await _mesh.MustAsync("get", "svc", "-n", "istio-system", "istio-ingressgateway", "-ojsonpath={.spec.ports[0].port}")).Stdout.Trim();
        var pending = await shell.FollowAsync(GatewayPermissive(gatewayPort == "80"));
        Assert.All(pending, line => Assert.Equal(NeedsPort80, line.PendingOn));
        await _mesh.MustAsync("analyze", "-A");
    }

    [Fact]
    public async Task Seed_000_gateway_lab_runs_line_by_line_and_analyze_passes_its_final_state()
    {
        await _mesh.UpAsync();
        await _mesh.MustAsync("label", "namespace", "default", "istio-injection-");
        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/web-frontend.yaml"));
        var shell = new TutorialShell(_mesh);
        foreach (var file in new[] { "gateway.yaml", "customers-v1.yaml", "vs-customers-gateway.yaml", "strict-mtls.yaml" })
        {
            shell.Provide(file, $"customers/{file}");
        }

        Assert.Empty(await shell.FollowAsync(GatewayLab()));
        await _mesh.MustAsync("analyze", "-A");
    }

    [Fact]
    public async Task Seed_003_mtls_migration_runs_line_by_line_and_analyze_passes_its_final_state()
    {
        await _mesh.UpAsync();
        var shell = new TutorialShell(_mesh);
        shell.Provide("httpbin.yaml", "mtls-migration/httpbin.yaml");
        shell.Provide("sleep.yaml", "mtls-migration/sleep.yaml");
        shell.Provide("samples/sleep/sleep.yaml", "mtls-migration/sleep.yaml");

        Assert.Empty(await shell.FollowAsync(MtlsMigration()));
        await _mesh.MustAsync("analyze", "-A");
    }

    [Fact]
    public async Task Seed_004_strict_mesh_with_a_permissive_frontend_runs_line_by_line_and_analyze_passes_its_final_state()
    {
        // The previous module of that course left the shop running, with sidecars.
        var shop = Path.Combine(_mesh.StatePath, "shop-namespace.yaml");
        await File.WriteAllTextAsync(shop, """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: hipstershopv1v2
              labels:
                istio-injection: enabled
            """);
        await _mesh.UpAsync(shop, MeshFixture.Sample("hipstershop-permissive/hipstershop.yaml"));
        var shell = new TutorialShell(_mesh);
        shell.Provide("modules/security/mtls/config/sleep.yaml", "hipstershop-permissive/sleep.yaml");

        Assert.Empty(await shell.FollowAsync(HipstershopStrict()));
        await _mesh.MustAsync("analyze", "-A");
    }
}
