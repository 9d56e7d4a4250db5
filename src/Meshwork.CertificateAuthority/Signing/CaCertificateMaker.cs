using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;

namespace Meshwork.CertificateAuthority;

/// <summary>
/// Makes CA certificates: the self-signed root the control plane creates on first start, and the
/// root and intermediates of Istio's plug-in CA task (its tools/certs Makefile), from which an
/// operator builds the four cacerts files. Certificates come back with their private key.
/// </summary>
public static class CaCertificateMaker
{
    /// <summary>A self-signed root: CA, keyCertSign and cRLSign, backdated by the clock-skew grace.</summary>
    public static X509Certificate2 CreateRoot(X500DistinguishedName subject, KeyAlgorithm algorithm, DateTimeOffset now, TimeSpan lifetime)
    {
        using var key = NewKey(algorithm);
        var request = Request(subject, key, pathLength: null);
        // Backdated like the leaves, so a workload whose clock runs a little behind still accepts it.
        var root = request.Create(subject, Generator(key), now - CertificateAuthority.ClockSkewGrace, now + lifetime, NewSerialNumber());
        return Pem.WithPrivateKey(root, key);
    }

    /// <summary>
    /// An intermediate CA signed by <paramref name="issuer"/> (which must hold its key), with path length 0
    /// as Istio's intermediate.conf sets it (it signs workloads only); it never outlives its issuer.
    /// </summary>
    public static X509Certificate2 CreateIntermediate(X509Certificate2 issuer, X500DistinguishedName subject, KeyAlgorithm algorithm, DateTimeOffset now, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        if (!issuer.HasPrivateKey) throw new ArgumentException($"the issuer '{issuer.Subject}' has no private key", nameof(issuer));
        using var key = NewKey(algorithm);
        var request = Request(subject, key, pathLength: 0);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var notAfter = now + lifetime;
        var issuerNotAfter = new DateTimeOffset(issuer.NotAfter.ToUniversalTime());
        if (notAfter > issuerNotAfter) notAfter = issuerNotAfter;
        using var issuerKey = Pem.GetPrivateKey(issuer);
        var certificate = request.Create(issuer.SubjectName, Generator(issuerKey), now - CertificateAuthority.ClockSkewGrace, notAfter, NewSerialNumber());
        return Pem.WithPrivateKey(certificate, key);
    }

    /// <summary>128 random bits, positive and with a non-zero first byte so DER keeps all 16 bytes (RFC 5280 §4.1.2.2).</summary>
    internal static byte[] NewSerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }

    private static AsymmetricAlgorithm NewKey(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Rsa2048 => RSA.Create(2048),
        _ => ECDsa.Create(ECCurve.NamedCurves.nistP256),
    };

    private static CertificateRequest Request(X500DistinguishedName subject, AsymmetricAlgorithm key, int? pathLength)
    {
        var request = key switch
        {
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256),
        };
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, pathLength is not null, pathLength ?? 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request;
    }

    private static X509SignatureGenerator Generator(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => X509SignatureGenerator.CreateForECDsa((ECDsa)key),
    };
}
