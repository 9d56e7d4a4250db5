using Meshwork.Model.Resources;
using Meshwork.Policy.Traffic;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Workloads;

/// <summary>With the local runtime's pods in the mesh state, endpoints and sidecars come from the pods, not the deployments.</summary>
public class PodEndpointTests
{
    private static Pod Pod(string ns, string name, string app, bool sidecar, string sa, int port) => new()
    {
        ApiVersion = "v1",
        Metadata = Meta(ns, name, sidecar ? Labels("app=" + app, "security.istio.io/tlsMode=istio") : Labels("app=" + app)),
        Spec = new PodSpec { ServiceAccountName = sa, Containers = [new Container { Name = app, Ports = [new ContainerPort { Port = port }] }] },
        Status = new PodStatus { Phase = "Running", PodIP = "127.0.0.10" },
    };

    [Fact]
    public void Running_pods_are_the_endpoints_and_their_label_says_whether_they_have_a_sidecar()
    {
        var mesh = Mesh([.. MigrationSetup(), Pod("bar", "httpbin-abc", "httpbin", sidecar: false, "httpbin", 8080), Pod("bar", "httpbin-def", "httpbin", sidecar: true, "httpbin", 8080)]);
        var target = ServiceResolver.Resolve(mesh, "foo", "httpbin.bar", 8000)!;
        var endpoints = ServiceResolver.Endpoints(mesh, target);
        Assert.Equal(["bar/httpbin-abc", "bar/httpbin-def"], endpoints.Select(e => e.Workload.Ref).ToArray());
        Assert.Equal([false, true], endpoints.Select(e => e.Workload.HasSidecar).ToArray());
        Assert.Equal(
            [ProxyProtocol.Snapshots.UpstreamTlsMode.Disable, ProxyProtocol.Snapshots.UpstreamTlsMode.IstioMutual],
            endpoints.Select(e => ClientTls.Decide(mesh, "foo", target, e.Workload, e.TargetPort).Mode).ToArray());
    }

    [Fact]
    public void Explain_reports_every_endpoint_and_says_when_they_differ()
    {
        var mesh = Mesh([.. MigrationSetup(), Pa("bar", "default", MtlsMode.Strict), Pod("bar", "httpbin-abc", "httpbin", sidecar: true, "httpbin", 8080), Pod("bar", "httpbin-def", "httpbin", sidecar: false, "httpbin", 8080)]);
        var e = TrafficExplainer.Explain(mesh, new TrafficQuery { Client = null, ClientNamespace = "legacy", Host = "httpbin.bar", Port = 8000 });
        Assert.Equal(2, e.Endpoints.Length);
        Assert.Equal(TrafficOutcome.Reset, e.Endpoints[0].Outcome);
        Assert.Equal(TrafficOutcome.Ok, e.Endpoints[1].Outcome);
        Assert.Contains(e.Reasons, r => r.Sentence.StartsWith("Endpoints differ", StringComparison.Ordinal));
    }

    [Fact]
    public void Services_for_a_workload_port_are_found_through_their_target_port()
    {
        var mesh = Mesh([.. MigrationSetup()]);
        var httpbin = Workload.FromDeployment(mesh.Deployments.First(d => d.Metadata.Namespace == "foo" && d.Metadata.Name == "httpbin"), mesh);
        var target = Assert.Single(ServiceResolver.ServicesFor(mesh, httpbin, 8080));
        Assert.Equal("httpbin.foo.svc.cluster.local", target.Hostname);
        Assert.Empty(ServiceResolver.ServicesFor(mesh, httpbin, 8000));
    }
}
