using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// The verdict on a peer's certificate, for both directions and both TLS engines: its chain must lead
/// to a root of the mesh trust bundle (never the OS store), at the context's time; a client must carry a
/// SPIFFE ID in an accepted trust domain (Istio's trust-domain validation); a server must carry one of
/// the identities the destination accepts (secure naming), when the caller names any. The verdict is
/// written onto the connection's <see cref="PeerVerdict"/>.
/// </summary>
internal static class PeerCertificateCheck
{
    /// <summary>SslStream's callback, set once on the server options of every context; reads all per-connection state from the sender.</summary>
    public static readonly RemoteCertificateValidationCallback ClientCertificate =
        static (sender, certificate, chain, _) => sender is MeshSslStream stream && FromSslStream(stream.Peer, certificate, chain, server: false);

    /// <summary>SslStream's callback, set once on the client options of every context.</summary>
    public static readonly RemoteCertificateValidationCallback ServerCertificate =
        static (sender, certificate, chain, _) => sender is MeshSslStream stream && FromSslStream(stream.Peer, certificate, chain, server: true);

    private static bool FromSslStream(PeerVerdict verdict, X509Certificate? certificate, X509Chain? chain, bool server)
    {
        try
        {
            var leaf = certificate is null ? null : certificate as X509Certificate2 ?? new X509Certificate2(certificate);
            return Check(verdict, leaf, leaf is null ? [] : PeerIntermediates(leaf, chain), server);
        }
        catch (CryptographicException e) { return Unreadable(verdict, e); }
    }

    /// <summary>Refuses a peer whose certificate cannot even be read: fail closed, never let through.</summary>
    public static bool Unreadable(PeerVerdict verdict, Exception e) =>
        verdict.Refuse(HandshakeFailure.UntrustedChain, $"the peer certificate cannot be read: {e.Message}");

    /// <summary>
    /// Checks <paramref name="leaf"/> with the other certificates the peer sent (<paramref name="intermediates"/>,
    /// the leaf not among them): a server's when <paramref name="server"/>, else a client's. True when accepted.
    /// </summary>
    public static bool Check(PeerVerdict verdict, X509Certificate2? leaf, List<X509Certificate2> intermediates, bool server)
    {
        if (leaf is null)
            return server
                ? verdict.Refuse(HandshakeFailure.NoServerCertificate, "the server presented no certificate")
                : verdict.Refuse(HandshakeFailure.NoClientCertificate, "the client presented no certificate");
        try
        {
            if (!VerifyChain(verdict, leaf, intermediates)) return false;
            var uri = CertificateIdentity.GetSpiffeUri(leaf);
            return server ? CheckServerIdentity(verdict, leaf, uri) : CheckClientIdentity(verdict, leaf, uri);
        }
        catch (CryptographicException e) { return Unreadable(verdict, e); }
    }

    private static bool CheckClientIdentity(PeerVerdict verdict, X509Certificate2 leaf, string? uri)
    {
        if (uri is null || !SpiffeId.TryParse(uri, out var id))
            return verdict.Refuse(HandshakeFailure.NotSpiffe, "the client certificate has no SPIFFE ID (URI SAN spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
        var accepted = verdict.Context.TrustDomains;
        if (!accepted.Contains(id.TrustDomain))
            return verdict.Refuse(HandshakeFailure.ForeignTrustDomain, $"the client trust domain '{id.TrustDomain}' is not accepted (accepted: {string.Join(", ", accepted)})");
        return verdict.Accept(leaf, uri);
    }

    private static bool CheckServerIdentity(PeerVerdict verdict, X509Certificate2 leaf, string? uri)
    {
        if (verdict.ExpectedServerIdentities is { } expected && (uri is null || !expected.Contains(uri)))
            return verdict.Refuse(HandshakeFailure.IdentityMismatch, $"the server identity {uri ?? "(none)"} is not one of [{string.Join(", ", expected)}]");
        return verdict.Accept(leaf, uri);
    }

    private static bool VerifyChain(PeerVerdict verdict, X509Certificate2 leaf, List<X509Certificate2> intermediates)
    {
        var now = verdict.Context.Time.GetUtcNow();
        if (verdict.Context.Bundle.Verify(leaf, intermediates, now, out var error)) return true;
        return verdict.Refuse(ValidityFailure(leaf, intermediates, now) ?? HandshakeFailure.UntrustedChain,
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

    /// <summary>Adds <paramref name="certificate"/> unless it is the leaf or already there: each certificate the peer sent, once.</summary>
    public static void AddIntermediate(List<X509Certificate2> intermediates, X509Certificate2 leaf, X509Certificate2 certificate)
    {
        if (certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) return;
        if (!intermediates.Exists(r => r.RawDataMemory.Span.SequenceEqual(certificate.RawDataMemory.Span))) intermediates.Add(certificate);
    }

    /// <summary>The certificates the peer sent besides its leaf, as SslStream hands them over: the chain's extra store and elements.</summary>
    private static List<X509Certificate2> PeerIntermediates(X509Certificate2 leaf, X509Chain? chain)
    {
        var result = new List<X509Certificate2>();
        if (chain is null) return result;
        foreach (var c in chain.ChainPolicy.ExtraStore) AddIntermediate(result, leaf, c);
        foreach (var element in chain.ChainElements) AddIntermediate(result, leaf, element.Certificate);
        return result;
    }
}
