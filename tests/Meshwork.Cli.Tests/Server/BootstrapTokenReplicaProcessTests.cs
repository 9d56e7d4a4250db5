using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Meshwork.Api;
using Meshwork.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using static Meshwork.Cli.Tests.Server.ReplicaProcesses;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// A bootstrap token is one-time for the whole mesh: redeemed for a certificate on one replica, it is refused
/// by the other (the redeemed tokens are in the PostgreSQL store the replicas share, not in each replica).
/// </summary>
public sealed class BootstrapTokenReplicaProcessTests : IAsyncLifetime
{
    private readonly ReplicaProcesses _mesh = new();

    public Task InitializeAsync() => _mesh.StartPostgresAsync();

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    [Fact]
    public async Task A_token_redeemed_on_one_replica_is_refused_on_the_other()
    {
        var (store, key) = await _mesh.CreateMeshAsync();
        var a = await _mesh.StartServerAsync("a", store, key);
        var b = await _mesh.StartServerAsync("b", store, key);
        Assert.Equal(0, (await RunAsync(a.State, "apply", "-f", _mesh.Write("namespace.yaml", Manifests.FooNamespace))).ExitCode);
        using var api = MeshApiClient.FromStateDirectory(a.State);
        var token = (await api.CreateBootstrapTokenAsync("foo", "httpbin")).Token;
        var other = (await api.CreateBootstrapTokenAsync("foo", "httpbin")).Token;

        var first = await RequestCertificateAsync(a, token);
        Assert.True(first.Status == HttpStatusCode.OK, $"replica a: {first.Status} {first.Body}");

        var replayed = await RequestCertificateAsync(b, token);
        Assert.True(replayed.Status == HttpStatusCode.Unauthorized, $"replica b: {replayed.Status} {replayed.Body}");
        Assert.Contains("already used", replayed.Body, StringComparison.Ordinal);

        // Replica b signs for a token of its own all the same: only the used one is refused.
        var fresh = await RequestCertificateAsync(b, other);
        Assert.True(fresh.Status == HttpStatusCode.OK, $"replica b, fresh token: {fresh.Status} {fresh.Body}");
    }

    /// <summary>What a proxy sends at its start: a CSR for its identity, authenticated by its bootstrap token.</summary>
    private static async Task<(HttpStatusCode Status, string Body)> RequestCertificateAsync(Replica replica, string token)
    {
        using var http = MeshClient(replica.State);
        var (privateKey, csr) = CsrFactory.Create(new SpiffeId("cluster.local", "foo", "httpbin"));
        using (privateKey)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(replica.Url), ControlPlanePaths.Certificates))
            {
                Content = JsonContent.Create(new CertificateRequest { Csr = csr }, ProtocolJson.Default.CertificateRequest),
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
    }
}
