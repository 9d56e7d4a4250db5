using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Generation.MeshFixtures;

namespace Meshwork.ControlPlane.Tests.Observability;

/// <summary>The one-pod mesh these tests connect a proxy to: httpbin-1 in foo, on 127.0.1.10.</summary>
internal static class HttpbinProxy
{
    public static MeshState Mesh() => MeshState.From([
        Service("foo", "httpbin", "httpbin", Port(8000, target: IntOrString.Of(8080))),
        Pod("foo", "httpbin-1", "httpbin", "127.0.1.10", serviceAccount: "httpbin", ports: new ContainerPort { Port = 8080 }),
    ]);

    public static ProxyRegistration Registration(string? metricsAddress) => new()
    {
        Role = ProxyRole.Sidecar,
        Namespace = "foo",
        Pod = "httpbin-1",
        Workload = "httpbin",
        ServiceAccount = "httpbin",
        PodIp = "127.0.1.10",
        MetricsAddress = metricsAddress,
        Labels = Labels(("app", "httpbin")),
        Ports = [8080],
    };
}
