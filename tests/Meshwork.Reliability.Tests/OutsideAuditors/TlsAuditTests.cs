using System.Net;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Api;
using Meshwork.ControlPlane.Hosting;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Meshwork.Reliability.Tests.OutsideAuditors;

/// <summary>
/// Outside auditors (Debian's testssl.sh and sslscan) against the mesh's three TLS servers, as a stranger without a
/// mesh certificate sees them: a sidecar's STRICT workload port, the ingress gateway's HTTPS port and the control
/// plane's API. Each must offer TLS 1.2 and 1.3 only, no weak cipher, no insecure renegotiation, and testssl must rate
/// nothing MEDIUM or worse.
/// </summary>
public sealed class TlsAuditTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private readonly string _work = Directory.CreateTempSubdirectory("meshwork-tls-audit-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        Directory.Delete(_work, recursive: true);
    }

    [Fact]
    public async Task A_STRICT_sidecar_port_demands_a_client_certificate_and_offers_only_strong_TLS()
    {
        var app = await _mesh.StartAppAsync();
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), app.Port)]);
        await AuditAsync(new IPEndPoint(IPAddress.Parse(server.Ip), server.InboundPort(8000)), serverName: null);
        // A stranger gets no further than the handshake: the auditors' handshakes were refused for want of a client certificate.
        Assert.True(await Support.ProxyStats.RefusedAsync(server, "tls_no_client_certificate") > 0);
    }

    [Fact]
    public async Task The_gateways_HTTPS_port_offers_only_strong_TLS()
    {
        var publicCa = TestCertificateAuthority.Create(withIntermediate: false);
        var frontend = await _mesh.StartAppAsync("web-frontend");
        const string Host = "web-frontend.default.svc.cluster.local";
        var service = new OutboundService
        {
            Name = "web-frontend", Namespace = "default", Hostname = Host,
            Ports = [new OutboundPort { Port = 80, Name = "http", Protocol = "http", Endpoints = [new UpstreamEndpoint { Address = "127.0.0.1", Port = frontend.Port, Tls = UpstreamTlsMode.Disable, Workload = "web-frontend", Namespace = "default" }] }],
        };
        using var leaf = publicCa.IssueCertificate(new LeafSpec { Subject = "CN=shop.example.com", DnsNames = ["shop.example.com"], Usage = LeafUsage.ServerOnly });
        var https = new GatewayListener
        {
            Port = 443, Protocol = "https", Hosts = ["shop.example.com"],
            VirtualHosts = [new() { Hosts = ["*"], Routes = [new HttpRouteRule { Destinations = [new RouteCluster { Host = Host, Port = 80 }] }], Source = "VirtualService default/web-frontend" }],
            TlsServers =
            [
                new GatewayTlsServer
                {
                    Hosts = ["shop.example.com"], Mode = GatewayTlsMode.Simple, CredentialName = "istio-system/shop-credential",
                    CertificateChain = leaf.ExportCertificatePem(), PrivateKey = leaf.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(),
                },
            ],
        };
        var ip = Mesh.NextPodIp();
        var endPoint = new IPEndPoint(IPAddress.Parse(ip), Mesh.FreePort(ip));
        await _mesh.StartPodAsync("istio-system", "istio-ingressgateway", outbound: [service], role: ProxyRole.Gateway, ip: ip,
            gateways: [https], gatewayPorts: [new Proxy.Configuration.GatewayPort(endPoint, 443)]);
        await AuditAsync(endPoint, serverName: "shop.example.com");
    }

    [Fact]
    public async Task The_control_planes_API_offers_only_strong_TLS()
    {
        var state = new StateDirectory(Path.Combine(_work, "control-plane"));
        await using var controlPlane = await ControlPlaneHost.StartAsync(new ControlPlaneOptions
        {
            StateDirectory = state,
            Port = 0,
            ConfigureLogging = logging => logging.ClearProviders(),
        }, CancellationToken.None);
        await AuditAsync(new IPEndPoint(IPAddress.Loopback, controlPlane.Url.Port), serverName: null);
    }

    /// <summary>Runs both auditors at once against <paramref name="target"/> and fails on anything they find; returns testssl's findings.</summary>
    private async Task<IReadOnlyList<TestsslFinding>> AuditAsync(IPEndPoint target, string? serverName)
    {
        var testssl = Testssl.AuditAsync(target, serverName, _work);
        var sslscan = SslscanReport.ScanAsync(target, serverName);
        var (findings, report) = await testssl;
        var scan = await sslscan;
        output.WriteLine($"sslscan {target}: protocols {string.Join(", ", scan.EnabledProtocols)}; renegotiation supported={scan.RenegotiationSupported} secure={scan.RenegotiationSecure}; " +
            $"ciphers {string.Join(", ", scan.Ciphers.Select(c => $"{c.Protocol} {c.Cipher}"))}");
        output.WriteLine($"testssl {target}: {findings.Count} findings, {findings.Count(f => f.IsMediumOrWorse)} MEDIUM or worse");
        foreach (var finding in findings.Where(f => f.Severity is not ("OK" or "INFO"))) output.WriteLine($"  {finding}");

        Assert.True(findings.Count > 0 && scan.EnabledProtocols.Count > 0, $"the auditors saw no TLS at {target}:\n{report}\n{scan.Xml}");
        Assert.DoesNotContain(findings, f => f.IsMediumOrWorse);
        Assert.Empty(scan.LegacyProtocols);
        Assert.DoesNotContain(findings, f => f.Id is "SSLv2" or "SSLv3" or "TLS1" or "TLS1_1" && !f.Finding.StartsWith("not offered", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Id is "TLS1_2" or "TLS1_3" && f.Finding.StartsWith("offered", StringComparison.Ordinal));
        Assert.Empty(scan.WeakCiphers);
        Assert.False(scan.RenegotiationSupported && !scan.RenegotiationSecure, "sslscan: insecure renegotiation is supported");
        return findings;
    }
}
