using System.Collections.Immutable;
using System.Text.Json;
using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.ControlPlane.Tests.Generation;

/// <summary>
/// A VirtualService's retries reach the sidecar as Istio converts them (pilot's route retry policy): no retries keep
/// the default policy, attempts 0 turns retries off, and retryOn's status codes replace the default's 503.
/// </summary>
public sealed class RouteRetryGenerationTests
{
    private static ImmutableArray<HttpRouteRule> RoutesWith(params HttpRetry?[] retries)
    {
        var read = ManifestReader.ReadPaths([Path.Combine(GoldenSnapshotTests.TestDataDirectory, "migration-subsets.mesh.yaml")]);
        Assert.False(read.HasErrors, string.Join("\n", read.Errors));
        var resources = read.Resources.Select(r => r is VirtualService vs
            ? vs with { Spec = vs.Spec with { Http = [.. vs.Spec.Http.Select((route, i) => route with { Retries = retries[i] })] } }
            : r);
        var registration = JsonSerializer.Deserialize(
            File.ReadAllText(Path.Combine(GoldenSnapshotTests.TestDataDirectory, "migration-subsets-auto.registration.json")),
            ProtocolJson.Default.ProxyRegistration)!;
        var snapshot = SnapshotGenerator.Generate(registration, MeshState.From([.. resources]), ["-----BEGIN CERTIFICATE-----\nTEST-ROOT\n-----END CERTIFICATE-----\n"]);
        return Assert.Single(snapshot.HttpRoutes).Routes;
    }

    [Fact]
    public void Retries_become_the_default_policy_with_the_routes_attempts_timeout_and_conditions()
    {
        var routes = RoutesWith(
            new HttpRetry { Attempts = 3, PerTryTimeout = TimeSpan.FromSeconds(2), RetryOn = "gateway-error,409" },
            new HttpRetry { Attempts = 4 });

        var explicitConditions = routes[0].Retry!;
        Assert.Equal(3, explicitConditions.Attempts);
        Assert.Equal(2000, explicitConditions.PerTryTimeoutMs);
        Assert.Equal(["gateway-error", "retriable-status-codes"], explicitConditions.On.AsEnumerable());
        Assert.Equal([409], explicitConditions.StatusCodes.AsEnumerable());

        var defaultConditions = routes[1].Retry!;
        Assert.Equal(4, defaultConditions.Attempts);
        Assert.Null(defaultConditions.PerTryTimeoutMs);
        Assert.Equal(RouteRetry.IstioDefault.On.AsEnumerable(), defaultConditions.On.AsEnumerable());
        Assert.Equal([503], defaultConditions.StatusCodes.AsEnumerable());
    }

    [Fact]
    public void No_retries_leave_the_proxy_default_and_attempts_zero_turns_retries_off()
    {
        var routes = RoutesWith(null, new HttpRetry { Attempts = 0, RetryOn = "5xx" });
        Assert.Null(routes[0].Retry);
        Assert.Equal(0, routes[1].Retry!.Attempts);
        Assert.Empty(routes[1].Retry!.On);
    }
}
