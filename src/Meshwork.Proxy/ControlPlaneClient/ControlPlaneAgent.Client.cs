using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Proxy.ControlPlaneClient;

/// <summary>The agent's HTTPS client to the control plane: the control plane's own root pinned, the machine's trust store never used.</summary>
internal sealed partial class ControlPlaneAgent
{
    /// <summary>A client that trusts only the control plane's root, and presents the workload certificate when asked.</summary>
    private HttpClient CreateClient(bool presentCertificate)
    {
        var roots = _controlPlaneRoots;
        var ssl = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            },
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (certificate is null) return false;
                // The root is pinned to the control plane's own CA, so the host name may be an IP or a
                // loopback alias; the chain to that root is what is checked.
                return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
            },
        };
        ssl.CertificateChainPolicy.CustomTrustStore.AddRange(roots);
        if (presentCertificate && state.Credentials is { } credentials) ssl.ClientCertificateContext = credentials.CertificateContext;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            SslOptions = ssl,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
        };
        return new HttpClient(handler, disposeHandler: true) { Timeout = TimeSpan.FromSeconds(30) };
    }

    private static X509Certificate2Collection LoadRoots(string? path)
    {
        var collection = new X509Certificate2Collection();
        if (path is not null) collection.ImportFromPemFile(path);
        if (collection.Count == 0) throw new ProxyStartupException($"{path ?? ProxyEnvironment.ControlPlaneRoot}: no control plane root certificate");
        return collection;
    }
}
