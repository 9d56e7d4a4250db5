using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>
/// Which pods a Service's endpoints are, which Deployment names them and which identities secure
/// naming accepts, as the Kubernetes endpoints controller and Istio pick them, whatever indexes
/// generation uses to find them.
/// </summary>
public sealed class EndpointSelectionTests
{
    private static readonly ProxyRegistration Client = new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = "foo",
        Pod = "sleep-1",
        ServiceAccount = "sleep",
        Labels = Labels(("app", "sleep"), ("security.istio.io/tlsMode", "istio")),
    };

    private static Pod WebPod(string ns, string name, string version, string? ip, string serviceAccount, string phase = "Running")
    {
        var pod = Pod(ns, name, "web", ip, serviceAccount: serviceAccount, ports: [new ContainerPort { Port = 8080 }]);
        return pod with
        {
            Metadata = pod.Metadata with { Labels = pod.Metadata.Labels.Add("version", version) },
            Status = pod.Status with { Phase = phase },
        };
    }

    private static Deployment Owner(string name, params (string, string)[] selector) => new()
    {
        ApiVersion = "apps/v1",
        Metadata = Meta("foo", name),
        Spec = new DeploymentSpec
        {
            Selector = new LabelSelector(Labels(selector)),
            Template = new PodTemplate { Labels = Labels(selector), Spec = new PodSpec { Containers = [new Container { Name = "web" }] } },
        },
    };

    private static MeshState Mesh() => MeshState.From([
        new Service
        {
            ApiVersion = "v1",
            Metadata = Meta("foo", "web"),
            Spec = new ServiceSpec
            {
                Selector = new LabelSelector(Labels(("app", "web"), ("version", "v1"))),
                Ports = [Port(80, target: IntOrString.Of(8080))],
            },
        },
        // The first Deployment (in mesh order) whose selector matches owns a pod, whichever label its selector starts with.
        Owner("web-by-version", ("version", "v1")),
        Owner("web-by-app", ("app", "web")),
        WebPod("foo", "web-1", "v1", "127.0.1.12", "web"),
        WebPod("foo", "web-2", "v2", "127.0.1.11", "web-v2"),
        WebPod("foo", "web-3", "v1", "127.0.1.9", "web-canary"),
        WebPod("bar", "web-4", "v1", "127.0.2.1", "web-bar"),
        WebPod("foo", "web-5", "v1", null, "web-pending"),
        WebPod("foo", "web-6", "v1", "127.0.1.20", "web-done", phase: "Succeeded"),
    ]);

    private static OutboundPort WebPort(ProxySnapshot snapshot)
        => snapshot.Outbound.Single(s => s.Hostname == "web.foo.svc.cluster.local").Ports.Single();

    [Fact]
    public void A_service_selects_the_pods_of_its_namespace_carrying_every_selector_label_that_have_an_IP_and_have_not_terminated()
    {
        var port = WebPort(SnapshotGenerator.Generate(Client, Mesh(), ["ROOT"]));

        Assert.Equal(
            [("127.0.1.9", "web-3", "web-canary"), ("127.0.1.12", "web-1", "web")],
            port.Endpoints.Select(e => (e.Address, e.Pod!, e.ServiceAccount!)));
        Assert.All(port.Endpoints, e => Assert.Equal((8080, UpstreamTlsMode.IstioMutual, "web-by-version"), (e.Port, e.Tls, e.Workload)));
    }

    [Fact]
    public void Secure_naming_accepts_the_identities_of_the_selected_pods_only()
    {
        var port = WebPort(SnapshotGenerator.Generate(Client, Mesh(), ["ROOT"]));

        // Pods without an IP or that have terminated are no endpoints, but Istio's secure naming
        // still counts every pod the selector picks in the namespace.
        Assert.Equal(
            ["spiffe://cluster.local/ns/foo/sa/web", "spiffe://cluster.local/ns/foo/sa/web-canary",
                "spiffe://cluster.local/ns/foo/sa/web-done", "spiffe://cluster.local/ns/foo/sa/web-pending"],
            port.AcceptedIdentities.ToArray());
    }

    [Fact]
    public void A_proxy_is_named_after_the_first_deployment_whose_selector_matches_its_labels()
    {
        var proxy = Client with { Pod = "web-1", ServiceAccount = "web", Labels = Labels(("app", "web"), ("version", "v1")) };

        var snapshot = SnapshotGenerator.Generate(proxy, Mesh(), ["ROOT"]);

        Assert.Equal("web-by-version", snapshot.Node.Workload);
    }
}
