using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.Identity;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.Ca;

/// <summary>Who is calling, and how we know: or why we do not.</summary>
public sealed record CallerAuthentication(SpiffeId? Identity, string How, string? Failure)
{
    public static CallerAuthentication Failed(string how, string why) => new(null, how, why);
}

/// <summary>
/// Authenticates proxies the two ways Istio's CA server does (first success wins): a mesh client
/// certificate that chains to the CA's trust bundle (its URI SAN is the identity; used for renewal
/// and for the push stream), or a bootstrap token (the identity it was issued for).
/// Kestrel only asks for the certificate; it accepts any chain, and the check against the
/// mesh trust bundle is made here, where a refusal can be explained.
/// </summary>
public sealed class MeshCallerAuthenticator(
    CertificateAuthority.CertificateAuthority ca,
    BootstrapTokenAuthority tokens,
    TimeProvider time)
{
    public const string ByCertificate = "client certificate";

    // Kestrel hands every request of a connection the same certificate object, so a stream's
    // ACKs reuse the chain check of the stream that opened the connection. Weak: entries go
    // with their connection. Re-checked when the trust bundle changes or the cert expires.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, Verified> _verified = new();

    private sealed record Verified(TrustBundle Bundle, CallerAuthentication Result);
    public const string ByToken = "bootstrap token";

    /// <summary>The identity of a verified mesh client certificate, or why there is none.</summary>
    public async Task<CallerAuthentication> FromClientCertificateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var certificate = context.Connection.ClientCertificate
            ?? await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
        if (certificate is null) return CallerAuthentication.Failed(ByCertificate, "no client certificate was presented");
        return Verify(certificate);
    }

    public CallerAuthentication Verify(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var bundle = ca.TrustBundle;
        if (_verified.TryGetValue(certificate, out var cached) && ReferenceEquals(cached.Bundle, bundle)
            && time.GetUtcNow() < certificate.NotAfter.ToUniversalTime())
        {
            return cached.Result;
        }
        var result = VerifyUncached(certificate, bundle);
        _verified.AddOrUpdate(certificate, new Verified(bundle, result));
        return result;
    }

    private CallerAuthentication VerifyUncached(X509Certificate2 certificate, TrustBundle bundle)
    {
        // A TLS client certificate arrives without the chain it was sent with; the one
        // intermediate a plugged-in CA signs with is known here, so chains through it verify too.
        X509Certificate2[] intermediates = ca.IsSelfSigned ? [] : [ca.SigningCertificate];
        if (!bundle.Verify(certificate, intermediates, time.GetUtcNow(), out var error))
        {
            return CallerAuthentication.Failed(ByCertificate, $"the client certificate does not chain to the mesh trust bundle: {error}");
        }
        var uri = CertificateIdentity.GetSpiffeUri(certificate);
        if (!SpiffeId.TryParse(uri, out var id))
        {
            return CallerAuthentication.Failed(ByCertificate, "the client certificate has no SPIFFE ID (URI SAN spiffe://<trust-domain>/ns/<ns>/sa/<sa>)");
        }
        return new CallerAuthentication(id, ByCertificate, null);
    }

    /// <summary>The identity a bearer bootstrap token proves, in the CA's trust domain.</summary>
    public CallerAuthentication FromBootstrapToken(string token)
    {
        try
        {
            var (ns, sa) = tokens.Validate(token);
            return new CallerAuthentication(new SpiffeId(ca.TrustDomain, ns, sa), ByToken, null);
        }
        catch (CaException e) when (e.Kind == CaErrorKind.NotAuthenticated)
        {
            return CallerAuthentication.Failed(ByToken, e.Message);
        }
    }

    /// <summary>The bearer credential of the request, if it has one.</summary>
    public static string? BearerToken(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        return header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && header.Length > prefix.Length
            ? header[prefix.Length..].Trim()
            : null;
    }
}
