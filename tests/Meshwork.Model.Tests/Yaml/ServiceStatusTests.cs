using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Yaml;

/// <summary>A LoadBalancer Service's address (status.loadBalancer.ingress[].ip) survives the round trip through the API's JSON.</summary>
public class ServiceStatusTests
{
    private const string Gateway = """
        apiVersion: v1
        kind: Service
        metadata: {name: istio-ingressgateway, namespace: istio-system}
        spec:
          type: LoadBalancer
          selector: {istio: ingressgateway}
          ports: [{name: http2, port: 80, targetPort: 8080}]
        status:
          loadBalancer:
            ingress:
            - ip: 127.1.0.7
        """;

    [Fact]
    public void The_load_balancer_address_is_read_and_written_back()
    {
        var service = TestRead.One<Service>(Gateway);
        Assert.Equal("127.1.0.7", Assert.Single(service.Status.LoadBalancerIngress));
        var json = ResourceJson.Serialize(service);
        Assert.Contains("\"status\":{\"loadBalancer\":{\"ingress\":[{\"ip\":\"127.1.0.7\"}]}}", json, StringComparison.Ordinal);
        Assert.Equal(service, TestRead.One<Service>(json));
    }

    [Fact]
    public void A_service_without_an_address_writes_no_status()
    {
        var service = TestRead.One<Service>(Gateway[..Gateway.IndexOf("status:", StringComparison.Ordinal)]);
        Assert.Empty(service.Status.LoadBalancerIngress);
        Assert.DoesNotContain("status", ResourceJson.Serialize(service), StringComparison.Ordinal);
    }
}
