using System.Collections.Frozen;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Meshwork.Proxy.Identity;
using Meshwork.Proxy.MeshTls.OpenSsl;

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// Everything a mesh TLS handshake needs for one generation of credentials and trust: the server
/// options, the pieces of the client options, and the chain policy, built once and shared by every
/// handshake until the certificate rotates or the trust bundle or trust domains change; then a new
/// context replaces this one whole (as Kestrel's HttpsConnectionMiddleware prebuilds its certificate
/// context). A handshake reads one reference; connections already up keep the context they used.
/// </summary>
internal sealed class MeshTlsContext
{
    /// <summary>ALPNs a mesh client may offer (Istio's in-mesh values) plus the plain ones.</summary>
    internal static readonly List<SslApplicationProtocol> ServerAlpn =
    [
        SslApplicationProtocol.Http2,
        new("istio-h2"),
        SslApplicationProtocol.Http11,
        new("istio-http/1.1"),
        new("istio-http/1.0"),
        new("istio"),
        new("istio-peer-exchange"),
    ];

    private static readonly List<SslApplicationProtocol> Http1Alpn = [new("istio-http/1.1"), new("istio"), SslApplicationProtocol.Http11];
    private static readonly List<SslApplicationProtocol> TcpAlpn = [new("istio-peer-exchange"), new("istio")];
    /// <summary>h2 only: the caller speaks HTTP/2 with prior knowledge, so anything else must fail the handshake.</summary>
    private static readonly List<SslApplicationProtocol> Http2Alpn = [SslApplicationProtocol.Http2];

    private const SslProtocols MeshProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;

    /// <summary>The client lists in ALPN wire form, for the OpenSSL engine.</summary>
    private static readonly byte[] Http1AlpnWire = OpenSslContexts.WireFormat(Http1Alpn), TcpAlpnWire = OpenSslContexts.WireFormat(TcpAlpn),
        Http2AlpnWire = OpenSslContexts.WireFormat(Http2Alpn);

    /// <summary>The names a server can select, as strings made once: reading the negotiated ALPN allocates nothing.</summary>
    private static readonly string[] ServerAlpnNames = ServerAlpn.Select(p => p.ToString()).ToArray();

    private OpenSslContexts? _openSsl;

    private MeshTlsContext(ActiveCredentials? credentials, TrustBundle bundle, FrozenSet<string> trustDomains, TimeProvider time)
    {
        Credentials = credentials;
        Bundle = bundle;
        TrustDomains = trustDomains;
        Time = time;
        ChainPolicy = new X509ChainPolicy
        {
            // The platform builds chains against the mesh roots only; PeerCertificateCheck decides.
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        ChainPolicy.CustomTrustStore.AddRange(bundle.Roots.ToArray());
        if (credentials is not null)
        {
            // SslStream copies the options (and clones the chain policy) when a handshake starts, so
            // one instance serves every concurrent handshake of this generation.
            ServerOptions = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = credentials.CertificateContext,
                ClientCertificateRequired = true,
                // A resumed session carries no peer chain to verify against the bundle (and would skip
                // the trust-domain check); every connection proves its identity afresh.
                AllowTlsResume = false,
                EnabledSslProtocols = MeshProtocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ApplicationProtocols = ServerAlpn,
                CertificateChainPolicy = ChainPolicy,
                RemoteCertificateValidationCallback = PeerCertificateCheck.ClientCertificate,
            };
        }
    }

    /// <summary>The workload certificate this generation presents; null when the proxy has none yet (it can then only originate TLS without a client certificate).</summary>
    public ActiveCredentials? Credentials { get; }
    public TrustBundle Bundle { get; }
    /// <summary>Trust domains a client's SPIFFE ID may name.</summary>
    public FrozenSet<string> TrustDomains { get; }
    public TimeProvider Time { get; }
    /// <summary>Custom root trust over the mesh roots: never the OS store, no revocation fetches, no downloads.</summary>
    public X509ChainPolicy ChainPolicy { get; }
    /// <summary>The server side of mTLS, a client certificate required; null without credentials.</summary>
    public SslServerAuthenticationOptions? ServerOptions { get; }

    /// <summary>
    /// The context for the current credentials and trust: <paramref name="current"/> itself when
    /// nothing it was built from changed (equal roots and trust domains, the same credentials), a new
    /// one when something did, and null without any trust bundle.
    /// </summary>
    public static MeshTlsContext? For(MeshTlsContext? current, ActiveCredentials? credentials, TrustBundle? bundle, FrozenSet<string> trustDomains, TimeProvider time)
    {
        if (bundle is null) return null;
        if (current is not null && ReferenceEquals(current.Credentials, credentials) && ReferenceEquals(current.Time, time)
            && SameRoots(current.Bundle, bundle) && current.TrustDomains.SetEquals(trustDomains))
            return current;
        return new MeshTlsContext(credentials, bundle, trustDomains, time);
    }

    /// <summary>
    /// Client options for one connection: per-connection only in the SNI; the rest comes from this
    /// generation (the certificate, the chain policy, the shared validation callback).
    /// </summary>
    public SslClientAuthenticationOptions ClientOptions(string targetHost, ClientAlpn alpn, bool presentCertificate) => new()
    {
        TargetHost = targetHost,
        ClientCertificateContext = presentCertificate ? Credentials?.CertificateContext : null,
        EnabledSslProtocols = MeshProtocols,
        AllowTlsResume = false,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        ApplicationProtocols = alpn switch { ClientAlpn.Http1 => Http1Alpn, ClientAlpn.Http2 => Http2Alpn, _ => TcpAlpn },
        CertificateChainPolicy = ChainPolicy,
        RemoteCertificateValidationCallback = PeerCertificateCheck.ServerCertificate,
    };

    /// <summary>This generation's SSL_CTXs for the OpenSSL engine, built on first use (a proxy that never uses the engine builds none).</summary>
    public OpenSslContexts OpenSsl
    {
        get
        {
            if (Volatile.Read(ref _openSsl) is { } built) return built;
            var created = OpenSslContexts.Create(Credentials);
            var winner = Interlocked.CompareExchange(ref _openSsl, created, null);
            if (winner is null) return created;
            created.Dispose();
            return winner;
        }
    }

    /// <summary>The ALPN list a client offers for <paramref name="alpn"/>, in wire form.</summary>
    public static byte[] AlpnWire(ClientAlpn alpn) => alpn switch { ClientAlpn.Http1 => Http1AlpnWire, ClientAlpn.Http2 => Http2AlpnWire, _ => TcpAlpnWire };

    /// <summary>The negotiated ALPN <paramref name="name"/> as a string: one of the server's own when it is, else decoded.</summary>
    public static string AlpnName(ReadOnlySpan<byte> name)
    {
        for (var i = 0; i < ServerAlpn.Count; i++)
            if (ServerAlpn[i].Protocol.Span.SequenceEqual(name)) return ServerAlpnNames[i];
        return System.Text.Encoding.UTF8.GetString(name);
    }

    private static bool SameRoots(TrustBundle a, TrustBundle b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Roots.Length != b.Roots.Length) return false;
        for (var i = 0; i < a.Roots.Length; i++)
            if (!a.Roots[i].RawDataMemory.Span.SequenceEqual(b.Roots[i].RawDataMemory.Span)) return false;
        return true;
    }
}
