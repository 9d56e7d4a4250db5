using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Tests.Contract;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;

namespace Meshwork.Proxy.Tests.Gateway;

/// <summary>
/// HTTPS at the ingress gateway over real sockets, with the real curl and openssl as clients: port 443 has a SIMPLE
/// server for shop.example.com, a MUTUAL server for *.internal.example (client certificates from a CA of its own)
/// and a server whose Secret is missing; port 80 redirects shop.example.com to https and serves plain.example.com.
/// Every host routes to web-frontend.
/// </summary>
public sealed class HttpsGatewayTests : IAsyncLifetime
{
    private const string FrontendHost = "web-frontend.default.svc.cluster.local";
    private readonly Mesh _mesh = new();
    /// <summary>The CA a browser would trust for the shop's public names.</summary>
    private readonly TestCertificateAuthority _publicCa = TestCertificateAuthority.Create(withIntermediate: false);
    /// <summary>The CA whose certificates the MUTUAL server accepts from clients (the Secret's ca.crt).</summary>
    private readonly TestCertificateAuthority _clientCa = TestCertificateAuthority.Create(withIntermediate: false);
    private readonly string _files = Directory.CreateTempSubdirectory("meshwork-https-gateway-").FullName;
    private EchoApp _frontend = null!;
    private Pod _gateway = null!;
    private IPEndPoint _https = null!;
    private IPEndPoint _http = null!;

    public async Task InitializeAsync()
    {
        _frontend = await _mesh.StartAppAsync("web-frontend");
        var frontend = new OutboundService
        {
            Name = "web-frontend", Namespace = "default", Hostname = FrontendHost,
            Ports = [new OutboundPort { Port = 80, Name = "http", Protocol = "http", Endpoints = [new UpstreamEndpoint { Address = "127.0.0.1", Port = _frontend.Port, Tls = UpstreamTlsMode.Disable, Workload = "web-frontend", Namespace = "default" }] }],
        };
        VirtualHostRoutes[] toFrontend = [new() { Hosts = ["*"], Routes = [new HttpRouteRule { Destinations = [new RouteCluster { Host = FrontendHost, Port = 80 }] }], Source = "VirtualService default/web-frontend" }];
        var https = new GatewayListener
        {
            Port = 443, Protocol = "https", Hosts = ["shop.example.com", "*.internal.example", "broken.example.com", "mismatched.example.com"], VirtualHosts = [.. toFrontend],
            TlsServers =
            [
                Server(GatewayTlsMode.Simple, "shop-credential", "shop.example.com", "shop.example.com"),
                Server(GatewayTlsMode.Mutual, "internal-credential", "*.internal.example", "*.internal.example") with { CaCertificates = _clientCa.Root.ExportCertificatePem() },
                Server(GatewayTlsMode.Simple, "mismatched-credential", "mismatched.example.com", "mismatched.example.com") with
                {
                    PrivateKey = _publicCa.IssueCertificate(new LeafSpec { DnsNames = ["elsewhere.example.com"] }).GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(),
                },
                new GatewayTlsServer { Hosts = ["broken.example.com"], Mode = GatewayTlsMode.Simple, CredentialName = "istio-system/broken-credential", Problem = "Secret istio-system/broken-credential (credentialName) does not exist in the gateway's namespace" },
            ],
        };
        var http = new GatewayListener
        {
            Port = 80, Protocol = "http", Hosts = ["shop.example.com", "plain.example.com"], VirtualHosts = [.. toFrontend], HttpsRedirectHosts = ["shop.example.com"],
        };
        var ip = Mesh.NextPodIp();
        _https = new IPEndPoint(IPAddress.Parse(ip), Mesh.FreePort(ip));
        _http = new IPEndPoint(IPAddress.Parse(ip), Mesh.FreePort(ip));
        _gateway = await _mesh.StartPodAsync("istio-system", "istio-ingressgateway", outbound: [frontend], role: ProxyRole.Gateway, ip: ip,
            gateways: [https, http], gatewayPorts: [new GatewayPort(_https, 443), new GatewayPort(_http, 80)]);
        await File.WriteAllTextAsync(Path.Combine(_files, "public-root.pem"), _publicCa.Root.ExportCertificatePem());
        WriteClientCredential("client", _clientCa);
        WriteClientCredential("stranger", _publicCa);
    }

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        Directory.Delete(_files, recursive: true);
    }

    private GatewayTlsServer Server(GatewayTlsMode mode, string credential, string host, string certificateName)
    {
        var leaf = _publicCa.IssueCertificate(new LeafSpec { Subject = $"CN={certificateName}", DnsNames = [certificateName], Usage = LeafUsage.ServerOnly });
        return new GatewayTlsServer
        {
            Hosts = [host], Mode = mode, CredentialName = $"istio-system/{credential}",
            CertificateChain = leaf.ExportCertificatePem(), PrivateKey = leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(),
        };
    }

    private void WriteClientCredential(string name, TestCertificateAuthority ca)
    {
        using var leaf = ca.IssueCertificate(new LeafSpec { Subject = $"CN={name}", Usage = LeafUsage.ClientOnly });
        File.WriteAllText(Path.Combine(_files, $"{name}.crt"), leaf.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_files, $"{name}.key"), leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
    }

    private string File_(string name) => Path.Combine(_files, name);

    /// <summary>curl https://host:port/name resolved to the gateway, trusting the public CA (so curl checks the name against the served certificate).</summary>
    private Task<ContractResponse> HttpsAsync(string host, params string[] args) =>
        CurlRequest.SendAsync(new ContractRequest(host, "/name"), $"https://{host}:{_https.Port}/name",
            ["--cacert", File_("public-root.pem"), "--resolve", $"{host}:{_https.Port}:{_https.Address}", .. args]);

    private string[] ClientCertificate(string name) => ["--cert", File_($"{name}.crt"), "--key", File_($"{name}.key")];

    [Fact]
    public async Task A_simple_server_terminates_tls_with_its_secrets_certificate_and_routes_the_request()
    {
        var response = await HttpsAsync("shop.example.com");
        Assert.Equal((200, "web-frontend"), (response.Status, response.Body.Trim()));
        Assert.Equal(1, _frontend.Requests("/name"));
    }

    [Fact]
    public async Task The_server_name_picks_the_certificate_and_a_name_no_server_has_gets_no_handshake()
    {
        // openssl shows which certificate answers each server name.
        Assert.Contains("CN=shop.example.com", await ServedSubjectAsync("shop.example.com"), StringComparison.Ordinal);
        Assert.Contains("CN=*.internal.example", await ServedSubjectAsync("api.internal.example"), StringComparison.Ordinal);

        var unknown = await HttpsAsync("other.example.org");
        Assert.Equal(0, unknown.Status);
        var noName = await ServedSubjectAsync(null);
        Assert.DoesNotContain("CN=", noName, StringComparison.Ordinal);
        Assert.Equal(0, _frontend.Requests("/name"));
    }

    [Fact]
    public async Task A_mutual_server_serves_only_clients_whose_certificate_chains_to_its_ca()
    {
        var anonymous = await HttpsAsync("api.internal.example");
        Assert.Equal(0, anonymous.Status);
        var stranger = await HttpsAsync("api.internal.example", ClientCertificate("stranger"));
        Assert.Equal(0, stranger.Status);
        Assert.Equal(0, _frontend.Requests("/name"));

        var client = await HttpsAsync("api.internal.example", ClientCertificate("client"));
        Assert.Equal((200, "web-frontend"), (client.Status, client.Body.Trim()));
    }

    [Fact]
    public async Task A_server_whose_secret_is_missing_or_holds_another_certificates_key_refuses_its_hosts_while_the_others_serve()
    {
        var broken = await HttpsAsync("broken.example.com");
        Assert.Equal(0, broken.Status);
        var mismatched = await HttpsAsync("mismatched.example.com");
        Assert.Equal(0, mismatched.Status);
        var shop = await HttpsAsync("shop.example.com");
        Assert.Equal(200, shop.Status);
        Assert.Equal(1, _frontend.Requests("/name"));
    }

    [Fact]
    public async Task Https_redirect_answers_301_to_the_same_host_and_path_over_https_and_other_hosts_stay_plain()
    {
        var headers = File_("redirect.headers");
        var redirected = await Curl.RunAsync("-D", headers, "-H", "Host: shop.example.com", $"http://{_http}/name?page=2");
        Assert.Equal("301", redirected.HttpCode);
        Assert.Contains("location: https://shop.example.com/name?page=2", await File.ReadAllTextAsync(headers), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, _frontend.Requests("/name"));

        var plain = await CurlRequest.SendAsync(new ContractRequest("plain.example.com", "/name"), $"http://{_http}/name", "-H", "Host: plain.example.com");
        Assert.Equal((200, "web-frontend"), (plain.Status, plain.Body.Trim()));
    }

    [Fact]
    public async Task The_config_dump_shows_the_servers_but_never_their_keys()
    {
        using var client = new HttpClient();
        var dump = await client.GetStringAsync(new Uri(_gateway.Admin, "/config_dump"));
        Assert.Contains("istio-system/shop-credential", dump, StringComparison.Ordinal);
        Assert.Contains(GatewayTlsServer.Redacted, dump, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", dump, StringComparison.Ordinal);
    }

    /// <summary>The subject line openssl s_client prints for the certificate the gateway presents; without a name, no SNI at all.</summary>
    private async Task<string> ServedSubjectAsync(string? serverName)
    {
        var psi = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in (string[])["s_client", "-connect", _https.ToString(), .. serverName is null ? ["-noservername"] : (string[])["-servername", serverName]]) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        var subject = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith("subject=", StringComparison.Ordinal)) ?? "";
        _ = await stderr;
        // OpenSSL 1.1 writes "CN = name", 3.x "CN=name".
        return subject.Replace(" = ", "=", StringComparison.Ordinal);
    }
}
