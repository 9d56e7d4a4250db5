using System.Collections.Immutable;
using Meshwork.Proxy.Tests.Contract;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Outbound;

/// <summary>
/// Istio's migration reachability case in live traffic: service migration.mig has a pod with a sidecar (STRICT,
/// subset vistio) and one without (subset legacy); the client's VirtualService sends /vistio to the first and
/// everything else to the second. The client TLS per subset is what generation decides for each DestinationRule
/// tls (its golden cases migration-subsets-*): auto mTLS per endpoint, DISABLE for both, ISTIO_MUTUAL for both.
/// </summary>
public sealed class MigrationSubsetsTrafficTests : IAsyncLifetime
{
    private const string MigrationId = "spiffe://cluster.local/ns/mig/sa/migration";
    private readonly Mesh _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    public static TheoryData<string, UpstreamTlsMode, UpstreamTlsMode, int, int> Cases() => new()
    {
        // DestinationRule tls, client TLS to the vistio subset, to the legacy subset, then what /vistio and the default path get.
        { "unset (auto mTLS per endpoint)", UpstreamTlsMode.IstioMutual, UpstreamTlsMode.Disable, 200, 200 },
        { "DISABLE", UpstreamTlsMode.Disable, UpstreamTlsMode.Disable, 503, 200 },
        { "ISTIO_MUTUAL", UpstreamTlsMode.IstioMutual, UpstreamTlsMode.IstioMutual, 200, 503 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task The_destination_rule_tls_decides_which_subset_answers(string tls, UpstreamTlsMode toVistio, UpstreamTlsMode toLegacy, int vistioStatus, int legacyStatus)
    {
        Assert.False(string.IsNullOrEmpty(tls));
        var vistioApp = await _mesh.StartAppAsync("migration-vistio");
        var legacyApp = await _mesh.StartAppAsync("migration-legacy");
        var server = await _mesh.StartPodAsync("mig", "migration", inbound: [(Mesh.Inbound(8080, InboundTlsMode.Strict), vistioApp.Port)]);
        var vistio = new UpstreamEndpoint { Address = server.Ip, Port = server.InboundPort(8080), Tls = toVistio, Pod = "migration-vistio-0", Workload = "migration-vistio", Namespace = "mig", ServiceAccount = "migration" };
        // The pod without a sidecar: its app listens on its own address, plaintext.
        var legacy = new UpstreamEndpoint { Address = "127.0.0.1", Port = legacyApp.Port, Tls = toLegacy, Pod = "migration-legacy-0", Workload = "migration-legacy", Namespace = "mig", ServiceAccount = "migration" };
        var service = new OutboundService
        {
            Name = "migration", Namespace = "mig", Hostname = "migration.mig.svc.cluster.local",
            Ports =
            [
                new OutboundPort
                {
                    Port = 80, Name = "http", Protocol = "http",
                    Endpoints = [vistio with { Tls = UpstreamTlsMode.IstioMutual }, legacy with { Tls = UpstreamTlsMode.Disable }],
                    AcceptedIdentities = [MigrationId],
                    Subsets =
                    [
                        new OutboundSubset { Name = "vistio", Endpoints = [vistio], AcceptedIdentities = Identities(toVistio) },
                        new OutboundSubset { Name = "legacy", Endpoints = [legacy], AcceptedIdentities = Identities(toLegacy) },
                    ],
                },
            ],
        };
        var routes = new VirtualHostRoutes
        {
            Hosts = ["migration.mig.svc.cluster.local"],
            Source = "VirtualService mig/migration",
            Routes =
            [
                new HttpRouteRule
                {
                    Matches = [new HttpRouteMatch { Uri = new StringMatchRule(StringMatchKind.Exact, "/vistio") }],
                    Destinations = [new RouteCluster { Host = "migration.mig.svc.cluster.local", Port = 0, Subset = "vistio" }],
                },
                new HttpRouteRule { Destinations = [new RouteCluster { Host = "migration.mig.svc.cluster.local", Port = 0, Subset = "legacy" }] },
            ],
        };
        var client = await _mesh.StartPodAsync("mig", "sleep", outbound: [service], routes: [routes]);

        var toVistioResponse = await CurlRequest.SendAsync(new ContractRequest("migration.mig", "/vistio"), "http://migration.mig/vistio", "-x", client.OutboundProxy.ToString());
        var toLegacyResponse = await CurlRequest.SendAsync(new ContractRequest("migration.mig", "/name"), "http://migration.mig/name", "-x", client.OutboundProxy.ToString());
        Assert.Equal((vistioStatus, legacyStatus), (toVistioResponse.Status, toLegacyResponse.Status));
        if (vistioStatus == 200) Assert.Equal("migration-vistio", toVistioResponse.Body.Trim());
        if (legacyStatus == 200) Assert.Equal("migration-legacy", toLegacyResponse.Body.Trim());
        // A refused subset never reaches its app.
        if (vistioStatus != 200) Assert.Equal(0, vistioApp.Requests("/vistio"));
        if (legacyStatus != 200) Assert.Equal(0, legacyApp.Requests("/name"));
    }

    /// <summary>Secure naming lists the server identity wherever the client originates mesh mTLS.</summary>
    private static ImmutableArray<string> Identities(UpstreamTlsMode mode) => mode == UpstreamTlsMode.IstioMutual ? [MigrationId] : [];
}
