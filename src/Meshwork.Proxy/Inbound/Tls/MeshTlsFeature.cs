using System.Net.Security;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Meshwork.Proxy.Inbound.Tls;

/// <summary>TLS facts Kestrel looks for: the client certificate and the negotiated ALPN (h2 selects HTTP/2).</summary>
internal sealed class MeshTlsFeature(System.Security.Cryptography.X509Certificates.X509Certificate2 clientCertificate, bool http2)
    : ITlsConnectionFeature, ITlsApplicationProtocolFeature
{
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; set; } = clientCertificate;
    public Task<System.Security.Cryptography.X509Certificates.X509Certificate2?> GetClientCertificateAsync(CancellationToken cancellationToken) => Task.FromResult(ClientCertificate);
    public ReadOnlyMemory<byte> ApplicationProtocol { get; } = http2 ? SslApplicationProtocol.Http2.Protocol : SslApplicationProtocol.Http11.Protocol;
}
