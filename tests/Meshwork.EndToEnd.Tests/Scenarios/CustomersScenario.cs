using Meshwork.EndToEnd.Tests.Infrastructure;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>
/// Seed 001's setup: the Gateway, the web-frontend deployed before the default namespace asks for sidecars (so it
/// has none), then customers-v1 with one, all rolled out behind the ingress gateway that `meshwork up` starts.
/// </summary>
public static class CustomersScenario
{
    /// <summary>The Host header the tutorial sends to reach customers through the gateway.</summary>
    public const string CustomersHost = "customers.default.svc.cluster.local";

    /// <summary>Applies the seed's manifests in its order; the gateway Service's load balancer address and its URL.</summary>
    public static async Task<(string Ip, string Url)> StartAsync(MeshFixture mesh)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        await mesh.UpAsync();
        await mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/gateway.yaml"));
        await mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/web-frontend.yaml"));
        await mesh.MustAsync("label", "namespace", "default", "istio-injection=enabled");
        await mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/customers-v1.yaml"));
        await mesh.MustAsync("rollout", "status", "deployment/istio-ingressgateway", "-n", "istio-system");
        await mesh.MustAsync("rollout", "status", "deployment/web-frontend");
        await mesh.MustAsync("rollout", "status", "deployment/customers-v1");

        var ip = await JsonPathUntilAsync(mesh, "{.status.loadBalancer.ingress[0].ip}");
        var port = await JsonPathUntilAsync(mesh, "{.spec.ports[0].port}");
        return (ip, port == "80" ? $"http://{ip}/" : $"http://{ip}:{port}/");
    }

    private static async Task<string> JsonPathUntilAsync(MeshFixture mesh, string template)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var value = (await mesh.MustAsync("get", "svc", "-n", "istio-system", "istio-ingressgateway", $"-ojsonpath={template}")).Stdout.Trim();
            if (value.Length > 0 || DateTime.UtcNow > deadline) return value;
            await Task.Delay(500);
        }
    }
}
