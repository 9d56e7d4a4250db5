using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Tests.Push;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using CertificateRequest = Meshwork.ProxyProtocol.ControlPlaneApi.CertificateRequest;

namespace Meshwork.ControlPlane.Tests.Ca;

public sealed class CertificateEndpointTests
{
    private static HttpRequestMessage CsrRequest(string csr, string? bearer, long validitySeconds = 0)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ControlPlanePaths.Certificates)
        {
            Content = JsonContent.Create(new CertificateRequest { Csr = csr, ValiditySeconds = validitySeconds }, ProtocolJson.Default.CertificateRequest),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (bearer is not null) request.Headers.Authorization = new("Bearer", bearer);
        return request;
    }

    private static string Csr(string ns, string sa) => CsrFactory.Create(new SpiffeId("cluster.local", ns, sa)).CsrPem;

    [Fact]
    public async Task A_bootstrap_token_buys_a_certificate_for_exactly_its_identity()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        var (token, _) = server.Tokens.Issue("foo", "httpbin");
        using var client = server.Client();

        // The CSR asks for another identity: the CA signs for the token's identity only.
        using var response = await client.SendAsync(CsrRequest(Csr("kube-system", "admin"), token), Guard.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var issued = (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.CertificateResponse, Guard.Token))!;
        using var leaf = X509Certificate2.CreateFromPem(issued.CertChain[0]);
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/httpbin", CertificateIdentity.GetSpiffeUri(leaf));
        Assert.NotEmpty(issued.TrustBundle);
    }

    [Fact]
    public async Task A_request_over_the_bound_is_refused_413_and_leaves_the_token_usable()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        var (token, _) = server.Tokens.Issue("foo", "httpbin");
        using var client = server.Client();

        using var tooLarge = await client.SendAsync(CsrRequest(Csr("foo", "httpbin") + new string(' ', 100_000), token), Guard.Token);
        using var signed = await client.SendAsync(CsrRequest(Csr("foo", "httpbin"), token), Guard.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal(HttpStatusCode.OK, signed.StatusCode);
    }

    [Fact]
    public async Task A_wrong_token_is_refused_401()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        using var client = server.Client();

        using var response = await client.SendAsync(CsrRequest(Csr("foo", "httpbin"), "not-a-token"), Guard.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task No_credential_at_all_is_refused_401()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        using var client = server.Client();

        using var response = await client.SendAsync(CsrRequest(Csr("foo", "httpbin"), bearer: null), Guard.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_mesh_certificate_renews_its_own_identity()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        var current = await server.EnrollAsync("foo", "sleep");
        using var client = server.Client(current);

        using var response = await client.SendAsync(CsrRequest(Csr("foo", "sleep"), bearer: null), Guard.Token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var issued = (await response.Content.ReadFromJsonAsync(ProtocolJson.Default.CertificateResponse, Guard.Token))!;
        using var leaf = X509Certificate2.CreateFromPem(issued.CertChain[0]);
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", CertificateIdentity.GetSpiffeUri(leaf));
    }

    [Fact]
    public async Task A_certificate_from_another_CA_is_refused_401()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        using var foreign = SelfSignedSpiffe("spiffe://cluster.local/ns/foo/sa/sleep");
        using var client = server.Client(foreign);

        using var response = await client.SendAsync(CsrRequest(Csr("foo", "sleep"), bearer: null), Guard.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_bootstrap_token_buys_one_certificate_and_a_reused_one_is_refused_401()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        var (token, _) = server.Tokens.Issue("foo", "httpbin");
        using var client = server.Client();

        using var first = await client.SendAsync(CsrRequest(Csr("foo", "httpbin"), token), Guard.Token);
        using var again = await client.SendAsync(CsrRequest(Csr("foo", "httpbin"), token), Guard.Token);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
        Assert.Contains("already used", await again.Content.ReadAsStringAsync(Guard.Token));
    }

    [Fact]
    public async Task A_garbage_CSR_is_refused_400()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        var (token, _) = server.Tokens.Issue("foo", "httpbin");
        using var client = server.Client();

        using var response = await client.SendAsync(CsrRequest("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", token), Guard.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Too_many_requests_from_one_identity_are_refused_429()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty,
            new PushOptions { CertificateBurst = 2, CertificateRefillInterval = TimeSpan.FromHours(1) });
        var (token, _) = server.Tokens.Issue("foo", "httpbin");
        var (other, _) = server.Tokens.Issue("foo", "sleep");
        using var client = server.Client();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            // A fresh token each time: a token buys one certificate.
            using var response = await client.SendAsync(CsrRequest(Csr("foo", "httpbin"), i == 0 ? token : server.Tokens.Issue("foo", "httpbin").Token), Guard.Token);
            statuses.Add(response.StatusCode);
        }
        using var otherResponse = await client.SendAsync(CsrRequest(Csr("foo", "sleep"), other), Guard.Token);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.OK, otherResponse.StatusCode);
    }

    [Fact]
    public async Task Bootstrap_tokens_are_issued_to_the_admin_only()
    {
        await using var server = await ProxyServerFixture.StartAsync(MeshState.Empty);
        var body = new BootstrapTokenRequest { Namespace = "foo", ServiceAccount = "httpbin" };
        using var anonymous = server.Client();
        using var admin = server.AdminClient();

        using var refused = await anonymous.PostAsJsonAsync(ControlPlanePaths.BootstrapTokens, body, ProtocolJson.Default.BootstrapTokenRequest, Guard.Token);
        using var issued = await admin.PostAsJsonAsync(ControlPlanePaths.BootstrapTokens, body, ProtocolJson.Default.BootstrapTokenRequest, Guard.Token);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, issued.StatusCode);
        var token = (await issued.Content.ReadFromJsonAsync(ProtocolJson.Default.BootstrapTokenResponse, Guard.Token))!.Token;
        Assert.Equal(("foo", "httpbin"), server.Tokens.Validate(token));
    }

    [Fact]
    public void Every_CA_refusal_maps_to_one_status()
    {
        Assert.Equal(400, Meshwork.ControlPlane.Ca.CaErrorStatus.Of(Meshwork.CertificateAuthority.CaErrorKind.BadCsr));
        Assert.Equal(400, Meshwork.ControlPlane.Ca.CaErrorStatus.Of(Meshwork.CertificateAuthority.CaErrorKind.TtlTooLong));
        Assert.Equal(403, Meshwork.ControlPlane.Ca.CaErrorStatus.Of(Meshwork.CertificateAuthority.CaErrorKind.IdentityNotAllowed));
        Assert.Equal(401, Meshwork.ControlPlane.Ca.CaErrorStatus.Of(Meshwork.CertificateAuthority.CaErrorKind.NotAuthenticated));
        Assert.Equal(503, Meshwork.ControlPlane.Ca.CaErrorStatus.Of(Meshwork.CertificateAuthority.CaErrorKind.CaNotReady));
    }

    private static X509Certificate2 SelfSignedSpiffe(string uri)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=foreign", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddUri(new Uri(uri));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
    }
}
