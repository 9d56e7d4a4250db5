using Meshwork.EndToEnd.Tests.Infrastructure;
using static Meshwork.EndToEnd.Tests.Infrastructure.HostCurl;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>
/// Istio's secure ingress task on the mesh `meshwork up` starts: a CA and a server certificate made with openssl,
/// `create secret tls` in istio-system, a Gateway with an HTTPS server naming it and an HTTP server redirecting to
/// https, a VirtualService to customers; curl reaches customers over HTTPS at the gateway's address, checking the
/// certificate against the CA, and is redirected from plain HTTP.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class HttpsIngressGatewayTests : IAsyncLifetime
{
    private const string Host = "shop.example.com";
    private readonly MeshFixture _mesh = new();
    private readonly string _files = Directory.CreateTempSubdirectory("meshwork-e2e-https-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        Directory.Delete(_files, recursive: true);
    }

    private string File_(string name) => Path.Combine(_files, name);

    private async Task OpenSslAsync(params string[] args)
    {
        var result = await Mw.RunProcessAsync("openssl", args, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"openssl {string.Join(' ', args)}: {result.Stderr}");
    }

    /// <summary>The gateway Service's port at <paramref name="index"/>: 0 is HTTP (80 or 8080), 1 HTTPS (443 or 8443).</summary>
    private async Task<string> ServicePortAsync(int index)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var value = (await _mesh.MustAsync("get", "svc", "-n", "istio-system", "istio-ingressgateway", $"-ojsonpath={{.spec.ports[{index}].port}}")).Stdout.Trim();
            if (value.Length > 0 || DateTime.UtcNow > deadline) return value;
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Curl_reaches_customers_over_https_with_the_secrets_certificate_and_plain_http_is_redirected()
    {
        // As Istio's task makes them: a root, and a certificate for the host signed by it (with the SAN curl checks).
        await OpenSslAsync("req", "-x509", "-sha256", "-nodes", "-days", "2", "-newkey", "rsa:2048", "-subj", "/O=example Inc./CN=example.com",
            "-keyout", File_("example.com.key"), "-out", File_("example.com.crt"));
        await OpenSslAsync("req", "-out", File_($"{Host}.csr"), "-newkey", "rsa:2048", "-nodes", "-keyout", File_($"{Host}.key"), "-subj", $"/CN={Host}/O=shop organization");
        await File.WriteAllTextAsync(File_("san.ext"), $"subjectAltName=DNS:{Host}\n");
        await OpenSslAsync("x509", "-req", "-sha256", "-days", "2", "-CA", File_("example.com.crt"), "-CAkey", File_("example.com.key"), "-set_serial", "1",
            "-in", File_($"{Host}.csr"), "-out", File_($"{Host}.crt"), "-extfile", File_("san.ext"));

        await File.WriteAllTextAsync(File_("shop.yaml"), $$$"""
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: shop-gateway}
            spec:
              selector: {istio: ingressgateway}
              servers:
              - port: {number: 443, name: https, protocol: HTTPS}
                tls: {mode: SIMPLE, credentialName: shop-credential}
                hosts: ["{{{Host}}}"]
              - port: {number: 80, name: http, protocol: HTTP}
                tls: {httpsRedirect: true}
                hosts: ["{{{Host}}}"]
            ---
            apiVersion: networking.istio.io/v1
            kind: VirtualService
            metadata: {name: shop}
            spec:
              hosts: ["{{{Host}}}"]
              gateways: [shop-gateway]
              http:
              - route:
                - destination: {host: customers, port: {number: 80}}
            """);

        await _mesh.UpAsync();
        await _mesh.MustAsync("label", "namespace", "default", "istio-injection=enabled");
        await _mesh.MustAsync("apply", "-f", MeshFixture.Sample("customers/customers-v1.yaml"));
        await _mesh.MustAsync("create", "secret", "tls", "shop-credential", "-n", "istio-system", $"--key={File_($"{Host}.key")}", $"--cert={File_($"{Host}.crt")}");
        await _mesh.MustAsync("apply", "-f", File_("shop.yaml"));
        await _mesh.MustAsync("rollout", "status", "deployment/istio-ingressgateway", "-n", "istio-system");
        await _mesh.MustAsync("rollout", "status", "deployment/customers-v1");

        var ip = (await _mesh.MustAsync("get", "svc", "-n", "istio-system", "istio-ingressgateway", "-ojsonpath={.status.loadBalancer.ingress[0].ip}")).Stdout.Trim();
        var https = await ServicePortAsync(1);
        var http = await ServicePortAsync(0);
        Assert.Matches("^(443|8443)$", https);

        var secure = await CurlUntilAsync(r => r.Code == "200", $"https://{Host}:{https}/",
            "--cacert", File_("example.com.crt"), "--resolve", $"{Host}:{https}:{ip}");
        Assert.True(secure.Code == "200" && secure.Body.Contains("Jewel Schaefer", StringComparison.Ordinal), $"{secure.Code}: {secure.Body}\n{_mesh.Logs()}");

        // A client that trusts another CA gets no connection: the gateway served the Secret's certificate, not another.
        await OpenSslAsync("req", "-x509", "-sha256", "-nodes", "-days", "2", "-newkey", "rsa:2048", "-subj", "/CN=other", "-keyout", File_("other.key"), "-out", File_("other.crt"));
        var untrusted = await CurlAsync($"https://{Host}:{https}/", "--cacert", File_("other.crt"), "--resolve", $"{Host}:{https}:{ip}");
        Assert.Equal("000", untrusted.Code);

        var redirected = await CurlAsync($"http://{ip}:{http}/", "-H", $"Host: {Host}", "-D", File_("redirect.headers"));
        Assert.Equal("301", redirected.Code);
        Assert.Contains($"location: https://{Host}/", await File.ReadAllTextAsync(File_("redirect.headers")), StringComparison.OrdinalIgnoreCase);
    }
}
