using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity.Tests.Certificates;

public sealed class CsrFactoryTests
{
    private static readonly SpiffeId Sleep = new("cluster.local", "foo", "sleep");

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256, "ECC")]
    [InlineData(KeyAlgorithm.Rsa2048, "RSA")]
    public void The_csr_asks_for_the_spiffe_id_with_a_verifying_signature_and_the_key_stays_here(KeyAlgorithm algorithm, string keyType)
    {
        var (key, pem) = CsrFactory.Create(Sleep, algorithm);

        var csr = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        Assert.Equal(keyType, csr.PublicKey.Oid.FriendlyName);
        var san = csr.CertificateExtensions.Single(e => e.Oid!.Value == SubjectAltNames.Oid);
        Assert.Contains(Sleep.Uri, new AsnEncodedData(san.Oid, san.RawData).Format(false));
        Assert.DoesNotContain("PRIVATE", pem);
        Assert.Equal(algorithm == KeyAlgorithm.Rsa2048 ? 2048 : 256, key.KeySize);
    }

    [Fact]
    public void Every_csr_has_a_new_key()
    {
        var (a, _) = CsrFactory.Create(Sleep);
        var (b, _) = CsrFactory.Create(Sleep);
        Assert.NotEqual(((ECDsa)a).ExportSubjectPublicKeyInfo(), ((ECDsa)b).ExportSubjectPublicKeyInfo());
    }
}
