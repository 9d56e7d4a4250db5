using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity;

/// <summary>PEM helpers: certificates in and out, and private keys of either supported type.</summary>
public static class Pem
{
    /// <summary>Every CERTIFICATE block in <paramref name="pem"/>, in order. Other blocks are skipped.</summary>
    public static IReadOnlyList<X509Certificate2> ReadCertificates(string pem)
    {
        var certificates = new List<X509Certificate2>();
        var rest = pem.AsSpan();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                var der = Convert.FromBase64String(rest[fields.Base64Data].ToString());
                certificates.Add(X509CertificateLoader.LoadCertificate(der));
            }
            rest = rest[fields.Location.End..];
        }
        return certificates;
    }

    /// <summary>Splits a PEM text into one PEM string per certificate.</summary>
    public static IReadOnlyList<string> SplitCertificates(string pem) =>
        [.. ReadCertificates(pem).Select(c => c.ExportCertificatePem())];

    public static string Write(IEnumerable<X509Certificate2> certificates) =>
        string.Concat(certificates.Select(c => c.ExportCertificatePem() + "\n"));

    /// <summary>
    /// Reads a private key in any of the PEM forms openssl and Istio produce: PKCS#8 ("PRIVATE KEY"),
    /// PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY"). Encrypted keys are not supported.
    /// </summary>
    public static AsymmetricAlgorithm ReadPrivateKey(string pem)
    {
        // `openssl ecparam -genkey` writes an "EC PARAMETERS" block before the key: skip blocks that are not keys.
        var rest = pem.AsSpan();
        var labels = new List<string>();
        while (PemEncoding.TryFind(rest, out var fields))
        {
            var label = rest[fields.Label].ToString();
            var block = rest[fields.Location].ToString();
            var base64 = rest[fields.Base64Data].ToString();
            rest = rest[fields.Location.End..];
            switch (label)
            {
                case "RSA PRIVATE KEY":
                    var rsa = RSA.Create();
                    rsa.ImportFromPem(block);
                    return rsa;
                case "EC PRIVATE KEY":
                    var ec = ECDsa.Create();
                    ec.ImportFromPem(block);
                    return ec;
                case "PRIVATE KEY":
                    return ImportPkcs8(Convert.FromBase64String(base64));
                case "ENCRYPTED PRIVATE KEY":
                    throw new CryptographicException("the private key is encrypted; provide it unencrypted (file mode 0600)");
                default:
                    labels.Add(label);
                    break;
            }
        }
        throw new CryptographicException(labels.Count == 0
            ? "no PEM block found where a private key was expected"
            : $"no private key found, only PEM blocks labelled {string.Join(", ", labels.Select(l => $"'{l}'"))}");
    }

    private static AsymmetricAlgorithm ImportPkcs8(byte[] der)
    {
        // PKCS#8 names its algorithm inside; try each supported type rather than parse it by hand.
        var ec = ECDsa.Create();
        try
        {
            ec.ImportPkcs8PrivateKey(der, out _);
            return ec;
        }
        catch (CryptographicException)
        {
            ec.Dispose();
        }
        var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(der, out _);
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
            throw new CryptographicException("the PKCS#8 private key is neither ECDSA nor RSA");
        }
    }

    public static string WritePrivateKey(AsymmetricAlgorithm key) => key.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>Returns a copy of <paramref name="certificate"/> bound to <paramref name="key"/>; throws if they do not match.</summary>
    public static X509Certificate2 WithPrivateKey(X509Certificate2 certificate, AsymmetricAlgorithm key)
    {
        try
        {
            return key switch
            {
                ECDsa ec when certificate.GetECDsaPublicKey() is not null => certificate.CopyWithPrivateKey(ec),
                RSA rsa when certificate.GetRSAPublicKey() is not null => certificate.CopyWithPrivateKey(rsa),
                ECDsa or RSA => throw new CryptographicException($"the private key is {KeyType(key)} but the certificate's public key is not"),
                _ => throw new CryptographicException($"unsupported private key type {key.GetType().Name}"),
            };
        }
        catch (ArgumentException e)
        {
            // CopyWithPrivateKey reports a mismatched key as an argument error.
            throw new CryptographicException("the private key does not belong to the certificate (the public keys differ)", e);
        }
    }

    private static string KeyType(AsymmetricAlgorithm key) => key is RSA ? "RSA" : "ECDSA";

    /// <summary>The private key of a certificate that has one, as an algorithm object.</summary>
    public static AsymmetricAlgorithm GetPrivateKey(X509Certificate2 certificate) =>
        (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey()
        ?? (AsymmetricAlgorithm?)certificate.GetRSAPrivateKey()
        ?? throw new CryptographicException($"certificate {certificate.Subject} has no ECDSA or RSA private key");
}
