using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Meshwork.CertificateAuthority;
using Meshwork.Identity;

namespace Meshwork.Fuzz.Targets;

/// <summary>
/// A certificate signing request as the control plane's certificate endpoint hands it to the CA: PEM PKCS#10
/// (an input that is not PEM is taken as the DER inside one, so that the fuzzer mutates the ASN.1 itself).
/// The CA must refuse with a <see cref="CaException"/> or sign; what it signs names the caller's identity
/// alone, whatever the CSR asked for.
/// </summary>
internal sealed class CsrTarget : FuzzTarget
{
    private static readonly SpiffeId Caller = new("cluster.local", "default", "fuzz");
    private CertificateAuthority.CertificateAuthority? _ca;

    public override void Prepare()
    {
        var now = DateTimeOffset.UtcNow;
        var root = CaCertificateMaker.CreateRoot(new X500DistinguishedName("O=cluster.local"), KeyAlgorithm.EcdsaP256, now, TimeSpan.FromDays(1));
        _ca = CertificateAuthority.CertificateAuthority.FromBundle(KeyCertBundle.Create(root, [], [root], now), new CaOptions());
    }

    public override void Run(ReadOnlySpan<byte> input)
    {
        var ca = _ca ?? throw new InvalidOperationException("Prepare first");
        var pem = input.StartsWith("-----BEGIN"u8) ? Encoding.Latin1.GetString(input) : PemEncoding.WriteString("CERTIFICATE REQUEST", input);
        string leafPem;
        try { leafPem = ca.Sign(pem, Caller)[0]; }
        catch (CaException) { return; }

        using var leaf = X509Certificate2.CreateFromPem(leafPem);
        var names = SubjectAltNames.GetUris(leaf);
        if (names.Count != 1 || names[0] != Caller.Uri || SubjectAltNames.GetDnsNames(leaf).Count != 0)
            throw new InvariantBrokenException($"the CA signed a certificate for [{string.Join(", ", names)}], not for {Caller.Uri} alone");
    }
}
