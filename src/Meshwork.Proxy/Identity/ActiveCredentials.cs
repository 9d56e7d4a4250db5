using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;

namespace Meshwork.Proxy.Identity;

/// <summary>
/// The workload certificate in the form the TLS code needs it, built once per rotation and swapped
/// whole: new handshakes read the current instance, connections already up keep the one they used.
/// </summary>
internal sealed class ActiveCredentials
{
    public WorkloadCredentials Credentials { get; }
    /// <summary>Leaf plus intermediates, sent in every handshake (server and client side).</summary>
    public SslStreamCertificateContext CertificateContext { get; }
    public string SpiffeUri { get; }
    public DateTimeOffset LoadedAt { get; }

    public ActiveCredentials(WorkloadCredentials credentials, DateTimeOffset loadedAt)
    {
        Credentials = credentials;
        if (!credentials.Leaf.HasPrivateKey)
            throw new ArgumentException("the workload certificate has no private key", nameof(credentials));
        CertificateContext = SslStreamCertificateContext.Create(
            credentials.Leaf, new X509Certificate2Collection(credentials.Intermediates.ToArray()), offline: true);
        SpiffeUri = credentials.Identity.Uri;
        LoadedAt = loadedAt;
    }

    public DateTimeOffset NotAfter => Credentials.NotAfter;
    public DateTimeOffset NotBefore => Credentials.NotBefore;

    /// <summary>The moment to renew: half of the lifetime, as Istio's agent does by default.</summary>
    public DateTimeOffset RenewAt => NotBefore + (NotAfter - NotBefore) / 2;
}
