using System.Collections.Frozen;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Meshwork.Proxy.Identity;

namespace Meshwork.Proxy.Inbound.Tls;

/// <summary>
/// Server side of mesh mTLS: the workload certificate from the current credentials, a client
/// certificate required, and the client's chain checked against the mesh trust bundle only, with
/// its SPIFFE trust domain in the accepted set (Istio's trust-domain validation).
/// </summary>
internal static class InboundTlsTerminator
{
    /// <summary>ALPNs a mesh client may offer (Istio's in-mesh values) plus the plain ones.</summary>
    private static readonly List<SslApplicationProtocol> ServerAlpn =
    [
        SslApplicationProtocol.Http2,
        new("istio-h2"),
        SslApplicationProtocol.Http11,
        new("istio-http/1.1"),
        new("istio-http/1.0"),
        new("istio"),
        new("istio-peer-exchange"),
    ];

    public static SslServerAuthenticationOptions CreateOptions(
        ActiveCredentials credentials, TrustBundle bundle, FrozenSet<string> trustDomains, TimeProvider time, ClientCertificateVerdict verdict)
    {
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = credentials.CertificateContext,
            ClientCertificateRequired = true,
            // A resumed session carries no peer chain to verify against the bundle (and would skip
            // the trust-domain check); every connection proves its identity afresh.
            AllowTlsResume = false,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            ApplicationProtocols = ServerAlpn,
            // The platform chain is built against the mesh roots only; the verdict below decides.
            CertificateChainPolicy = CreateChainPolicy(bundle),
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                Validate(certificate, chain, bundle, trustDomains, time.GetUtcNow(), verdict),
        };
    }

    internal static X509ChainPolicy CreateChainPolicy(TrustBundle bundle)
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
            DisableCertificateDownloads = true,
        };
        policy.CustomTrustStore.AddRange(bundle.Roots.ToArray());
        return policy;
    }

    private static bool Validate(X509Certificate? certificate, X509Chain? chain, TrustBundle bundle,
        FrozenSet<string> trustDomains, DateTimeOffset now, ClientCertificateVerdict verdict)
    {
        if (certificate is null)
        {
            verdict.Error = "client presented no certificate";
            return false;
        }
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var intermediates = PeerIntermediates(leaf, chain);
        if (!bundle.Verify(leaf, intermediates, now, out var error))
        {
            verdict.Error = $"client certificate rejected: {error}";
            return false;
        }
        var uri = CertificateIdentity.GetSpiffeUri(leaf);
        if (uri is null || !SpiffeId.TryParse(uri, out var id))
        {
            verdict.Error = "client certificate has no SPIFFE ID (URI SAN spiffe://<trust-domain>/ns/<ns>/sa/<sa>)";
            return false;
        }
        if (!trustDomains.Contains(id.TrustDomain))
        {
            verdict.Error = $"client trust domain '{id.TrustDomain}' is not accepted (accepted: {string.Join(", ", trustDomains)})";
            return false;
        }
        verdict.SpiffeUri = uri;
        verdict.Leaf = leaf;
        return true;
    }

    /// <summary>The certificates the peer sent besides its leaf.</summary>
    internal static List<X509Certificate2> PeerIntermediates(X509Certificate2 leaf, X509Chain? chain)
    {
        var result = new List<X509Certificate2>();
        if (chain is null) return result;
        foreach (var c in chain.ChainPolicy.ExtraStore)
            if (!c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) result.Add(c);
        foreach (var element in chain.ChainElements)
        {
            var c = element.Certificate;
            if (c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) continue;
            if (!result.Exists(r => r.RawDataMemory.Span.SequenceEqual(c.RawDataMemory.Span))) result.Add(c);
        }
        return result;
    }

    public static string LeafHash(X509Certificate2 leaf) => Convert.ToHexStringLower(SHA256.HashData(leaf.RawDataMemory.Span));
}
