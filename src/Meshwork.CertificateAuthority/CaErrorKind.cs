namespace Meshwork.CertificateAuthority;

/// <summary>Why the CA refused; the control plane maps each kind to one HTTP status.</summary>
public enum CaErrorKind
{
    /// <summary>The CSR is not PEM PKCS#10, its signature does not verify, or its key is weak or unsupported (400).</summary>
    BadCsr,

    /// <summary>The requested lifetime is above <see cref="CaOptions.MaxTtl"/> (400). Never silently shortened.</summary>
    TtlTooLong,

    /// <summary>The caller may not have a certificate for this identity, e.g. another trust domain (403).</summary>
    IdentityNotAllowed,

    /// <summary>The caller could not be authenticated: bad, expired or foreign bootstrap token (401).</summary>
    NotAuthenticated,

    /// <summary>The CA cannot sign now, e.g. its signing certificate has expired (503).</summary>
    CaNotReady,

    /// <summary>The CA files are unusable; raised at start so the control plane refuses to run (startup error).</summary>
    BadCaConfiguration,
}
