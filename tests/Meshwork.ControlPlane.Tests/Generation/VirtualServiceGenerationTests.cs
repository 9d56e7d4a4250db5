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
/// A VirtualService's retries and tcp routes reach the sidecar as Istio converts them: no retries keep the default
/// policy, attempts 0 turns retries off, and retryOn's status codes replace the default's 503 (pilot's route retry
/// policy); tcp routes keep their ports and weighted destinations.
/// </summary>
public sealed class VirtualServiceGenerationTests
{
    private static ImmutableArray<HttpRouteRule> RoutesWith(params HttpRetry?[] retries) =>
        Generate(vs => vs with { Spec = vs.Spec with { Http = [.. vs.Spec.Http.Select((route, i) => route with { Retries = retries[i] })] } }).Routes;

    /// <summary>The sidecar client's routes for the migration service, its VirtualService edited by <paramref name="edit"/>.</summary>
    private static VirtualHostRoutes Generate(Func<VirtualService, VirtualService> edit)
    {
        var read = ManifestReader.ReadPaths([Path.Combine(GoldenSnapshotTests.TestDataDirectory, "migration-subsets.mesh.yaml")]);
        Assert.False(read.HasErrors, string.Join("\n", read.Errors));
        var resources = read.Resources.Select(r => r is VirtualService vs ? edit(vs) : r);
        var registration = JsonSerializer.Deserialize(
            File.ReadAllText(Path.Combine(GoldenSnapshotTests.TestDataDirectory, "migration-subsets-auto.registration.json")),
            ProtocolJson.Default.ProxyRegistration)!;
        var snapshot = SnapshotGenerator.Generate(registration, MeshState.From([.. resources]), ["-----BEGIN CERTIFICATE-----\nTEST-ROOT\n-----END CERTIFICATE-----\n"]);
        return Assert.Single(snapshot.HttpRoutes);
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

    [Fact]
    public void Tcp_routes_keep_their_ports_and_weighted_destinations_and_none_leave_the_field_out()
    {
        Assert.Null(Generate(vs => vs).Tcp);
        var tcp = Generate(vs => vs with
        {
            Spec = vs.Spec with
            {
                Tcp =
                [
                    new TcpRoute
                    {
                        Match = [new L4Match { Port = 80 }],
                        Route =
                        [
                            new WeightedDestination { Destination = new RouteDestination { Host = "migration", Subset = "vistio" }, Weight = 80 },
                            new WeightedDestination { Destination = new RouteDestination { Host = "migration", Subset = "legacy" }, Weight = 20 },
                        ],
                    },
                    new TcpRoute { Route = [new WeightedDestination { Destination = new RouteDestination { Host = "migration" } }] },
                ],
            },
        }).Tcp!.Value;
        Assert.Equal([80], tcp[0].Ports.AsEnumerable());
        Assert.Equal(["vistio:80", "legacy:20"], tcp[0].Destinations.Select(d => $"{d.Subset}:{d.Weight}"));
        Assert.All(tcp[0].Destinations, d => Assert.Equal("migration.mig.svc.cluster.local", d.Host));
        Assert.Empty(tcp[1].Ports);
        Assert.Equal(100, Assert.Single(tcp[1].Destinations).Weight);
    }
}
