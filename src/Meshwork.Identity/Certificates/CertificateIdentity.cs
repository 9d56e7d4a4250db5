using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity;

/// <summary>Reads identities out of certificates.</summary>
public static class CertificateIdentity
{
    /// <summary>The URI SAN that is a SPIFFE ID, or null.</summary>
    public static string? GetSpiffeUri(X509Certificate2 certificate) =>
        SubjectAltNames.GetUris(certificate).FirstOrDefault(u => u.StartsWith(SpiffeId.Scheme, StringComparison.Ordinal));

    /// <summary>The SPIFFE ID of a workload certificate, if it carries one of the form spiffe://td/ns/x/sa/y.</summary>
    public static bool TryGetSpiffeId(X509Certificate2 certificate, out SpiffeId identity)
    {
        identity = default;
        var uri = GetSpiffeUri(certificate);
        return uri is not null && SpiffeId.TryParse(uri, out identity);
    }

    /// <summary>True when the certificate's subject and issuer are equal, as in a root.</summary>
    public static bool IsSelfIssued(X509Certificate2 certificate) =>
        certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData);

    /// <summary>True when the certificate has BasicConstraints with CA=true.</summary>
    public static bool IsCertificateAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    /// <summary>A short human name for messages: the SPIFFE ID when there is one, else the subject.</summary>
    public static string Describe(X509Certificate2 certificate) =>
        GetSpiffeUri(certificate) is { } uri ? uri
        : certificate.Subject.Length > 0 ? $"'{certificate.Subject}'"
        : $"serial {certificate.SerialNumber}";
}
