using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.Identity;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>A raw TLS client, to show what a peer with some certificate (or none) gets from a sidecar's inbound port.</summary>
public static class MeshClient
{
    /// <summary>Handshakes with <paramref name="credentials"/> (null: no client certificate) and sends one GET; returns the response text, or throws the handshake failure.</summary>
    public static async Task<string> GetAsync(string ip, int port, WorkloadCredentials? credentials, TrustBundle serverTrust, string path = "/headers")
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(ip, port);
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(Options(credentials, serverTrust, SslApplicationProtocol.Http11));
        await ssl.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: httpbin\r\nConnection: close\r\n\r\n"));
        // TLS 1.3 delivers a rejected client certificate as an alert on the first read.
        using var reader = new StreamReader(ssl, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    /// <summary>A mesh peer's TLS client side: presents <paramref name="credentials"/> (null: none), verifies the server against <paramref name="serverTrust"/>.</summary>
    public static SslClientAuthenticationOptions Options(WorkloadCredentials? credentials, TrustBundle serverTrust, SslApplicationProtocol protocol) => new()
    {
        TargetHost = "httpbin",
        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
        ApplicationProtocols = [protocol],
        ClientCertificateContext = credentials is null ? null : SslStreamCertificateContext.Create(credentials.Leaf, credentials.IntermediateCollection, offline: true),
        RemoteCertificateValidationCallback = (_, cert, chain, _) =>
            cert is X509Certificate2 c && serverTrust.Verify(c, chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>() ?? [], DateTimeOffset.UtcNow, out _),
    };
}
