using Meshwork.Model.Resources;
using static Meshwork.Policy.Tests.Build;

namespace Meshwork.Policy.Tests.Workloads;

public class WorkloadTests
{
    [Theory]
    [InlineData(true, null, true)]
    [InlineData(false, null, false)]
    [InlineData(true, "false", false)]
    [InlineData(false, "true", true)]
    public void Sidecar_comes_from_the_namespace_label_and_the_pod_annotation_wins(bool namespaceInjected, string? annotation, bool expected)
    {
        var deployment = Deployment("foo", "httpbin", ports: [8080], annotations: annotation is null ? null : Labels("sidecar.istio.io/inject=" + annotation));
        var mesh = Mesh(Namespace("foo", namespaceInjected), deployment);
        Assert.Equal(expected, Workload.FromDeployment(deployment, mesh).HasSidecar);
    }

    [Fact]
    public void Deployment_gives_service_account_labels_and_ports()
    {
        var deployment = Deployment("foo", "httpbin", serviceAccount: "httpbin-sa", ports: [8080, 9090]);
        var w = Workload.FromDeployment(deployment, Mesh(Namespace("foo", true), deployment));
        Assert.Equal("httpbin-sa", w.ServiceAccount);
        Assert.Equal([8080, 9090], w.Ports.ToArray());
        Assert.Equal("httpbin", w.Labels["app"]);
        Assert.Equal("foo", w.Namespace);
    }

    [Fact]
    public void Pod_has_a_sidecar_when_injection_labelled_it()
    {
        var pod = new Pod
        {
            ApiVersion = "v1",
            Metadata = Meta("foo", "httpbin-1", Labels("app=httpbin", "security.istio.io/tlsMode=istio")),
            Spec = new PodSpec { ServiceAccountName = "httpbin" },
        };
        Assert.True(Workload.FromPod(pod).HasSidecar);
        Assert.False(Workload.FromPod(pod with { Metadata = Meta("foo", "httpbin-1", Labels("app=httpbin")) }).HasSidecar);
    }

    [Theory]
    [InlineData("httpbin", "foo", "foo")]
    [InlineData("httpbin.bar", "foo", "bar")]
    [InlineData("httpbin.bar.svc", "foo", "bar")]
    [InlineData("httpbin.bar.svc.cluster.local", "foo", "bar")]
    [InlineData("HTTPBIN.Bar.svc.cluster.local.", "foo", "bar")]
    public void Host_names_resolve_like_kubernetes_dns(string host, string clientNs, string expectedNs)
    {
        var mesh = Mesh([.. MigrationSetup()]);
        var target = ServiceResolver.Resolve(mesh, clientNs, host, 8000);
        Assert.NotNull(target);
        Assert.Equal(expectedNs, target.Namespace);
        Assert.Equal($"httpbin.{expectedNs}.svc.cluster.local", target.Hostname);
    }

    [Fact]
    public void Unknown_host_or_port_does_not_resolve()
    {
        var mesh = Mesh([.. MigrationSetup()]);
        Assert.Null(ServiceResolver.Resolve(mesh, "foo", "httpbin", 8080));
        Assert.Null(ServiceResolver.Resolve(mesh, "legacy", "httpbin", 8000));
        Assert.Null(ServiceResolver.Resolve(mesh, "foo", "nope.foo", 8000));
    }

    [Fact]
    public void Endpoints_are_the_selected_deployments_with_the_target_port()
    {
        var mesh = Mesh([.. MigrationSetup()]);
        var target = ServiceResolver.Resolve(mesh, "foo", "httpbin", 8000)!;
        var (workload, port) = Assert.Single(ServiceResolver.Endpoints(mesh, target));
        Assert.Equal("foo/httpbin", workload.Ref);
        Assert.Equal(8080, port);
        Assert.True(workload.HasSidecar);
    }

    [Fact]
    public void Named_target_port_resolves_through_the_container_port_name()
    {
        var deployment = Deployment("foo", "web") with { };
        deployment = deployment with
        {
            Spec = deployment.Spec with
            {
                Template = deployment.Spec.Template with
                {
                    Spec = deployment.Spec.Template.Spec with { Containers = [new Container { Name = "web", Ports = [new ContainerPort { Port = 9376, Name = "http-web" }] }] },
                },
            },
        };
        var service = Service("foo", "web", new ServicePort { Port = 80, Name = "http", TargetPort = IntOrString.Of("http-web") });
        var mesh = Mesh(Namespace("foo", true), deployment, service);
        var (_, port) = Assert.Single(ServiceResolver.Endpoints(mesh, ServiceResolver.Resolve(mesh, "foo", "web", 80)!));
        Assert.Equal(9376, port);
    }
}
