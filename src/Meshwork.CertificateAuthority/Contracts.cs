using System.Collections.Immutable;
using Meshwork.Identity;

namespace Meshwork.CertificateAuthority;

/// <summary>Why the CA refused; the control plane maps each kind to one HTTP status.</summary>
public enum CaErrorKind { BadCsr, TtlTooLong, IdentityNotAllowed, NotAuthenticated, CaNotReady, BadCaConfiguration }

public sealed class CaException(CaErrorKind kind, string message) : Exception(message)
{
    public CaErrorKind Kind { get; } = kind;
}

public sealed record CaOptions
{
    public string TrustDomain { get; init; } = "cluster.local";
    public TimeSpan DefaultTtl { get; init; } = TimeSpan.FromHours(24);
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(90);
    public KeyAlgorithm RootKeyAlgorithm { get; init; } = KeyAlgorithm.EcdsaP256;
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The certificate authority core: signs CSRs for exactly one SPIFFE identity. Knows nothing about
/// the network or about who the caller is: the caller passes the identity it authenticated.
/// </summary>
public sealed class CertificateAuthority
{
    /// <summary>Loads the CA from <paramref name="stateDirectory"/>/ca, creating a self-signed 10-year root on first start.</summary>
    public static CertificateAuthority LoadOrCreateSelfSigned(string stateDirectory, CaOptions options) => throw new NotImplementedException();

    /// <summary>Loads a plugged-in CA from Istio's cacerts files (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem). Throws BadCaConfiguration.</summary>
    public static CertificateAuthority LoadPluggedIn(string cacertsDirectory, CaOptions options) => throw new NotImplementedException();

    public TrustBundle TrustBundle => throw new NotImplementedException();

    /// <summary>Signs <paramref name="csrPem"/> for <paramref name="identity"/> only. Returns PEMs, leaf first, root last.</summary>
    public ImmutableArray<string> Sign(string csrPem, SpiffeId identity, TimeSpan? ttl = null) => throw new NotImplementedException();

    /// <summary>Issues a serving certificate for the control plane itself (DNS/IP SANs plus its SPIFFE ID).</summary>
    public WorkloadCredentials IssueServingCertificate(SpiffeId identity, IEnumerable<string> dnsNames, IEnumerable<System.Net.IPAddress> addresses)
        => throw new NotImplementedException();
}

/// <summary>
/// Short-lived signed tokens bound to one namespace + service account, handed by the runtime to
/// the proxies it launches. A token from another control plane, an expired one, or a tampered one is refused.
/// </summary>
public sealed class BootstrapTokenAuthority
{
    /// <summary>Loads the signing key from <paramref name="stateDirectory"/>, creating it (0600) on first start.</summary>
    public static BootstrapTokenAuthority LoadOrCreate(string stateDirectory, TimeProvider? time = null) => throw new NotImplementedException();

    public (string Token, DateTimeOffset ExpiresAt) Issue(string @namespace, string serviceAccount, TimeSpan? lifetime = null) => throw new NotImplementedException();

    /// <summary>Returns the (namespace, service account) the token proves; throws CaException(NotAuthenticated) otherwise.</summary>
    public (string Namespace, string ServiceAccount) Validate(string token) => throw new NotImplementedException();
}
