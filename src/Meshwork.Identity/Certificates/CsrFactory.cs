using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity;

/// <summary>Proxy side of issuance: the private key never leaves the proxy.</summary>
public static class CsrFactory
{
    /// <summary>Creates a new key and a PKCS#10 CSR (PEM) that asks for <paramref name="identity"/>.</summary>
    public static (AsymmetricAlgorithm PrivateKey, string CsrPem) Create(SpiffeId identity, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
    {
        var key = CreateKey(algorithm);
        return (key, CreateCsr(key, identity));
    }

    /// <summary>A fresh private key of the given type.</summary>
    public static AsymmetricAlgorithm CreateKey(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KeyAlgorithm.Rsa2048 => RSA.Create(2048),
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm), algorithm, "unknown key algorithm"),
    };

    /// <summary>A CSR for an existing key. The subject is empty; the identity travels as the URI SAN, as pilot-agent sends it.</summary>
    public static string CreateCsr(AsymmetricAlgorithm key, SpiffeId identity)
    {
        var subject = new X500DistinguishedName("");
        var request = key switch
        {
            ECDsa ec => new CertificateRequest(subject, ec, HashAlgorithmName.SHA256),
            RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException($"unsupported key type {key.GetType().Name}", nameof(key)),
        };
        request.CertificateExtensions.Add(SubjectAltNames.Build([identity.Uri]));
        return request.CreateSigningRequestPem();
    }
}
