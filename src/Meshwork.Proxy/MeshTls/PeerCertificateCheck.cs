using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// The verdict on a peer's certificate, for both directions: its chain must lead to a root of the
/// mesh trust bundle (never the OS store), at the context's time; a client must carry a SPIFFE ID in an
/// accepted trust domain (Istio's trust-domain validation); a server must carry one of the
/// identities the destination accepts (secure naming), when the caller names any. The verdict is
/// written onto the <see cref="MeshTlsStream"/> that the callback receives as its sender.
/// </summary>
internal static class PeerCertificateCheck
{
    /// <summary>Set once on the server options of every context; reads all per-connection state from the sender.</summary>
    public static readonly RemoteCertificateValidationCallback ClientCertificate =
        static (sender, certificate, chain, _) => sender is MeshTlsStream stream && Guarded(stream, certificate, chain, server: false);

    /// <summary>Set once on the client options of every context.</summary>
    public static readonly RemoteCertificateValidationCallback ServerCertificate =
        static (sender, certificate, chain, _) => sender is MeshTlsStream stream && Guarded(stream, certificate, chain, server: true);

    private static bool Guarded(MeshTlsStream stream, X509Certificate? certificate, X509Chain? chain, bool server)
    {
        // Fail closed: a certificate that cannot even be read is refused, never let through.
        try { return Check(stream, certificate, chain, server); }
        catch (CryptographicException e) { return stream.Refuse(HandshakeFailure.UntrustedChain, $"the peer certificate cannot be read: {e.Message}"); }
    }

    private static bool Check(MeshTlsStream stream, X509Certificate? certificate, X509Chain? chain, bool server)
    {
        if (certificate is null)
            return server
                ? stream.Refuse(HandshakeFailure.NoServerCertificate, "the server presented no certificate")
                : stream.Refuse(HandshakeFailure.NoClientCertificate, "the client presented no certificate");
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        if (!VerifyChain(stream, leaf, chain)) return false;
        var uri = CertificateIdentity.GetSpiffeUri(leaf);
        return server ? CheckServerIdentity(stream, leaf, uri) : CheckClientIdentity(stream, leaf, uri);
    }

    private static bool CheckClientIdentity(MeshTlsStream stream, X509Certificate2 leaf, string? uri)
    {
        if (uri is null || !SpiffeId.TryParse(uri, out var id))
            return stream.Refuse(HandshakeFailure.NotSpiffe, "the client certificate has no SPIFFE ID (URI SAN spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
        var accepted = stream.Context.TrustDomains;
        if (!accepted.Contains(id.TrustDomain))
            return stream.Refuse(HandshakeFailure.ForeignTrustDomain, $"the client trust domain '{id.TrustDomain}' is not accepted (accepted: {string.Join(", ", accepted)})");
        return stream.Accept(leaf, uri);
    }

    private static bool CheckServerIdentity(MeshTlsStream stream, X509Certificate2 leaf, string? uri)
    {
        if (stream.ExpectedServerIdentities is { } expected && (uri is null || !expected.Contains(uri)))
            return stream.Refuse(HandshakeFailure.IdentityMismatch, $"the server identity {uri ?? "(none)"} is not one of [{string.Join(", ", expected)}]");
        return stream.Accept(leaf, uri);
    }

    private static bool VerifyChain(MeshTlsStream stream, X509Certificate2 leaf, X509Chain? chain)
    {
        var now = stream.Context.Time.GetUtcNow();
        var intermediates = PeerIntermediates(leaf, chain);
        if (stream.Context.Bundle.Verify(leaf, intermediates, now, out var error)) return true;
        return stream.Refuse(ValidityFailure(leaf, intermediates, now) ?? HandshakeFailure.UntrustedChain,
            error ?? "the peer certificate does not chain to the mesh trust bundle");
    }

    /// <summary>Expired or not yet valid, judged on the certificates the peer sent (RFC 5280 §4.1.2.5), else null.</summary>
    private static HandshakeFailure? ValidityFailure(X509Certificate2 leaf, List<X509Certificate2> intermediates, DateTimeOffset now)
    {
        foreach (var certificate in intermediates.Prepend(leaf))
        {
            if (now > new DateTimeOffset(certificate.NotAfter.ToUniversalTime())) return HandshakeFailure.Expired;
            if (now < new DateTimeOffset(certificate.NotBefore.ToUniversalTime())) return HandshakeFailure.NotYetValid;
        }
        return null;
    }

    /// <summary>The certificates the peer sent besides its leaf: the chain's extra store and elements, each once.</summary>
    private static List<X509Certificate2> PeerIntermediates(X509Certificate2 leaf, X509Chain? chain)
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
}
