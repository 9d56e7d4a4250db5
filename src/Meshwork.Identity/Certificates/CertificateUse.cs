namespace Meshwork.Identity;

/// <summary>The TLS role a certificate is checked for (RFC 5280 §4.2.1.12 extended key usage).</summary>
public enum CertificateUse
{
    /// <summary>No extended key usage check.</summary>
    Any,

    /// <summary>A client certificate: serverAuth is not enough, clientAuth is required (inbound mTLS).</summary>
    TlsClient,

    /// <summary>A server certificate: serverAuth is required (outbound mTLS origination).</summary>
    TlsServer,
}
