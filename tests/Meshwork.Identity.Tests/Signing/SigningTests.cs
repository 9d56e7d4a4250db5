using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.Testing;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Identity.Tests.Signing;

public sealed class SigningTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly FakeTimeProvider _clock = new();
    private readonly Ca _ca;

    public SigningTests() => _ca = Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { Time = _clock });

    public void Dispose() => _state.Dispose();

    private static SpiffeId Sleep => new("cluster.local", "foo", "sleep");
    private static SpiffeId Httpbin => new("cluster.local", "foo", "httpbin");

    private static X509Certificate2 Leaf(IReadOnlyList<string> chain) => X509Certificate2.CreateFromPem(chain[0]);

    [Fact]
    public void Issued_certificate_names_the_authorised_identity_and_nothing_the_csr_asked_for()
    {
        // The CSR asks for httpbin and a subject; the caller authenticated sleep.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=admin, O=evil", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(SubjectAltNames.Build([Httpbin.Uri, "spiffe://cluster.local/ns/istio-system/sa/istiod"], ["evil.example"]));
        var csr = request.CreateSigningRequestPem();

        var leaf = Leaf(_ca.Sign(csr, Sleep));

        Assert.Equal([Sleep.Uri], SubjectAltNames.GetUris(leaf));
        Assert.Empty(SubjectAltNames.GetDnsNames(leaf));
        Assert.Equal("", leaf.Subject);
        Assert.True(leaf.Extensions[SubjectAltNames.Oid]!.Critical, "SAN must be critical when the subject is empty");
        Assert.Equal(Sleep, CertificateIdentity.TryGetSpiffeId(leaf, out var id) ? id : default);
    }

    [Fact]
    public void Issued_certificate_is_a_tls_client_and_server_leaf_and_not_a_ca()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var leaf = Leaf(_ca.Sign(csr, Sleep));

        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value!));
        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.Equal(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, usage.KeyUsages);
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
    }

    [Fact]
    public void Default_lifetime_is_24_hours_backdated_by_two_minutes()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var now = _clock.GetUtcNow();
        var leaf = Leaf(_ca.Sign(csr, Sleep));

        Assert.Equal(now.AddMinutes(-2), new DateTimeOffset(leaf.NotBefore.ToUniversalTime()));
        Assert.Equal(now.AddHours(24), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void A_ttl_of_zero_or_less_means_the_default(int seconds)
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var leaf = Leaf(_ca.Sign(csr, Sleep, TimeSpan.FromSeconds(seconds)));
        Assert.Equal(_clock.GetUtcNow().AddHours(24), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
    }

    [Fact]
    public void Requested_ttl_is_honoured_up_to_the_maximum()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var leaf = Leaf(_ca.Sign(csr, Sleep, TimeSpan.FromDays(90)));
        Assert.Equal(_clock.GetUtcNow().AddDays(90), new DateTimeOffset(leaf.NotAfter.ToUniversalTime()));
    }

    [Fact]
    public void Ttl_above_the_maximum_is_refused_not_shortened()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var error = Assert.Throws<CaException>(() => _ca.Sign(csr, Sleep, TimeSpan.FromDays(91)));
        Assert.Equal(CaErrorKind.TtlTooLong, error.Kind);
        Assert.Contains("91d", error.Message);
        Assert.Contains("90d", error.Message);
    }

    [Fact]
    public void Lifetime_is_cut_at_the_signing_certificates_expiry()
    {
        var testCa = TestCertificateAuthority.Create(time: _clock, intermediateNotAfter: _clock.GetUtcNow().AddHours(3));
        var ca = testCa.ToCertificateAuthority();
        var (_, csr) = CsrFactory.Create(Sleep);

        var leaf = Leaf(ca.Sign(csr, Sleep));

        Assert.Equal(testCa.Intermediate!.NotAfter, leaf.NotAfter);
    }

    [Fact]
    public void An_expired_signing_certificate_refuses_to_sign()
    {
        var testCa = TestCertificateAuthority.Create(time: _clock, intermediateNotAfter: _clock.GetUtcNow().AddHours(3));
        var ca = testCa.ToCertificateAuthority();
        _clock.Advance(TimeSpan.FromHours(4));
        var (_, csr) = CsrFactory.Create(Sleep);

        var error = Assert.Throws<CaException>(() => ca.Sign(csr, Sleep));
        Assert.Equal(CaErrorKind.CaNotReady, error.Kind);
        Assert.Contains("expired", error.Message);
    }

    [Fact]
    public void A_csr_whose_signature_does_not_verify_is_refused()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var der = PemEncoding.Find(csr) is var fields ? Convert.FromBase64String(csr[fields.Base64Data]) : [];
        der[^3] ^= 0x5A; // inside the signature BIT STRING at the end of the CSR
        var forged = PemEncoding.WriteString("CERTIFICATE REQUEST", der);

        var error = Assert.Throws<CaException>(() => _ca.Sign(forged, Sleep));
        Assert.Equal(CaErrorKind.BadCsr, error.Kind);
    }

    [Fact]
    public void A_csr_signed_by_another_key_than_the_one_it_carries_is_refused()
    {
        // Take the public key of one CSR and the signature of another: the proof of possession fails.
        var (_, csrA) = CsrFactory.Create(Sleep);
        var (_, csrB) = CsrFactory.Create(Sleep);
        var a = ReadDer(csrA);
        var b = ReadDer(csrB);
        var info = new System.Formats.Asn1.AsnReader(a, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var infoA = info.ReadEncodedValue();
        var readerB = new System.Formats.Asn1.AsnReader(b, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        readerB.ReadEncodedValue();
        var algB = readerB.ReadEncodedValue();
        var sigB = readerB.ReadEncodedValue();
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(infoA.Span);
            writer.WriteEncodedValue(algB.Span);
            writer.WriteEncodedValue(sigB.Span);
        }
        var forged = PemEncoding.WriteString("CERTIFICATE REQUEST", writer.Encode());

        Assert.Equal(CaErrorKind.BadCsr, Assert.Throws<CaException>(() => _ca.Sign(forged, Sleep)).Kind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a csr")]
    [InlineData("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")]
    public void Garbage_is_refused_as_a_bad_csr(string csr) =>
        Assert.Equal(CaErrorKind.BadCsr, Assert.Throws<CaException>(() => _ca.Sign(csr, Sleep)).Kind);

    /// <summary>Found by the csr fuzz target: the signature check threw NotSupportedException, which left the CA as a 500.</summary>
    [Fact]
    public void A_csr_with_a_key_type_dotnet_cannot_verify_is_refused_as_a_bad_csr()
    {
        // openssl req -new with an Ed25519 key (.NET has no Ed25519 to make one with).
        const string Ed25519Csr = """
            -----BEGIN CERTIFICATE REQUEST-----
            MIHWMIGJAgEAMA8xDTALBgNVBAoMBGZ1enowKjAFBgMrZXADIQC8Dtd9g+vR5hlu
            BHWXBd0VCbvHdN+I9fUWU2Iu+WpUzaBHMEUGCSqGSIb3DQEJDjE4MDYwNAYDVR0R
            BC0wK4Ypc3BpZmZlOi8vY2x1c3Rlci5sb2NhbC9ucy9kZWZhdWx0L3NhL2Z1enow
            BQYDK2VwA0EAzsGrIPOHTYQhlucPhSG3I/pV3mKLAq15Rz1RTNXRlziQ9z74tljj
            k2mzCH/S/8icFvWvJPV8m3ONbDEZ3pmrAw==
            -----END CERTIFICATE REQUEST-----
            """;
        var error = Assert.Throws<CaException>(() => _ca.Sign(Ed25519Csr, Sleep));
        Assert.Equal(CaErrorKind.BadCsr, error.Kind);
        Assert.Contains("not supported", error.Message);
    }

    [Fact]
    public void A_weak_rsa_key_is_refused()
    {
        using var rsa = RSA.Create(1024);
        var csr = new CertificateRequest("", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
        var error = Assert.Throws<CaException>(() => _ca.Sign(csr, Sleep));
        Assert.Equal(CaErrorKind.BadCsr, error.Kind);
        Assert.Contains("1024", error.Message);
    }

    [Fact]
    public void A_csr_with_a_p384_key_is_signed_and_one_with_rsa_3072_too()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(3072);
        foreach (var csr in new[]
        {
            new CertificateRequest("", ec, HashAlgorithmName.SHA384).CreateSigningRequestPem(),
            new CertificateRequest("", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem(),
        })
        {
            Assert.Equal([Sleep.Uri], SubjectAltNames.GetUris(Leaf(_ca.Sign(csr, Sleep))));
        }
    }

    [Fact]
    public void An_identity_in_another_trust_domain_is_not_signed()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var error = Assert.Throws<CaException>(() => _ca.Sign(csr, new SpiffeId("other.mesh", "foo", "sleep")));
        Assert.Equal(CaErrorKind.IdentityNotAllowed, error.Kind);
    }

    [Fact]
    public void Chain_is_leaf_first_root_last_and_verifies_against_the_trust_bundle()
    {
        var (key, csr) = CsrFactory.Create(Sleep, KeyAlgorithm.Rsa2048);
        var chain = _ca.Sign(csr, Sleep);

        Assert.Equal(2, chain.Length);
        Assert.Equal(_ca.Root.RawData, X509Certificate2.CreateFromPem(chain[^1]).RawData);
        var credentials = WorkloadCredentials.FromSignedChain(key, chain, _ca.TrustBundle);
        Assert.True(_ca.TrustBundle.Verify(credentials.Leaf, credentials.Intermediates, _clock.GetUtcNow(), out var error), error);
    }

    [Fact]
    public void Every_certificate_gets_its_own_random_serial()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var serials = Enumerable.Range(0, 20).Select(_ => Leaf(_ca.Sign(csr, Sleep)).SerialNumber).ToHashSet();
        Assert.Equal(20, serials.Count);
        Assert.All(serials, s => Assert.Equal(32, s.Length));
    }

    [Fact]
    public void A_plugged_in_intermediate_signs_and_the_chain_carries_it()
    {
        var testCa = TestCertificateAuthority.Create(time: _clock);
        var ca = testCa.ToCertificateAuthority();
        var (_, csr) = CsrFactory.Create(Sleep);

        var chain = ca.Sign(csr, Sleep);

        Assert.Equal(3, chain.Length);
        Assert.Equal(testCa.Intermediate!.Subject, Leaf(chain).Issuer);
        Assert.Equal(testCa.Intermediate.RawData, X509Certificate2.CreateFromPem(chain[1]).RawData);
        Assert.Equal(testCa.Root.RawData, X509Certificate2.CreateFromPem(chain[2]).RawData);
    }

    [Fact]
    public void Serving_certificate_covers_localhost_loopback_and_the_control_plane_identity()
    {
        var serving = _ca.IssueServingCertificate(_ca.ControlPlaneIdentity, ["localhost"], [System.Net.IPAddress.Loopback]);

        Assert.Equal("spiffe://cluster.local/ns/istio-system/sa/istiod", serving.Identity.Uri);
        Assert.True(serving.Leaf.HasPrivateKey);
        Assert.True(serving.Leaf.MatchesHostname("localhost"));
        Assert.True(serving.Leaf.MatchesHostname("127.0.0.1"));
        Assert.False(serving.Leaf.MatchesHostname("example.com"));
        Assert.True(serving.TrustBundle.Verify(serving.Leaf, serving.Intermediates, _clock.GetUtcNow(), out var error), error);
    }

    private static byte[] ReadDer(string pem)
    {
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }

    [Fact]
    public void An_oversized_csr_is_refused_before_parsing()
    {
        var (_, csr) = CsrFactory.Create(Sleep);
        var padded = new string('#', Ca.MaxCsrLength) + "\n" + csr;
        Assert.Equal(CaErrorKind.BadCsr, Assert.Throws<CaException>(() => _ca.Sign(padded, Sleep)).Kind);
    }

    [Fact]
    public void Concurrent_signing_gives_distinct_valid_certificates()
    {
        var testCa = TestCertificateAuthority.Create(time: _clock);
        var ca = testCa.ToCertificateAuthority();
        var chains = new System.Collections.Concurrent.ConcurrentBag<IReadOnlyList<string>>();
        Parallel.For(0, 64, i =>
        {
            var id = new SpiffeId("cluster.local", "foo", $"sa-{i}");
            var (_, csr) = CsrFactory.Create(id, KeyAlgorithm.EcdsaP256);
            chains.Add(ca.Sign(csr, id));
        });

        Assert.Equal(64, chains.Select(c => Leaf(c).SerialNumber).Distinct().Count());
        Assert.All(chains, chain =>
        {
            var certificates = chain.Select(p => X509Certificate2.CreateFromPem(p)).ToList();
            Assert.True(ca.TrustBundle.Verify(certificates, _clock.GetUtcNow(), out var error), error);
        });
    }

    [Fact]
    public void A_root_cert_file_with_two_roots_gives_a_two_root_bundle_and_chains_end_at_the_issuing_root()
    {
        using var dir = new TempDirectory();
        var current = TestCertificateAuthority.Create(time: _clock, name: "Current");
        var next = TestCertificateAuthority.Create(time: _clock, name: "Next");
        current.WriteCaCerts(dir.Path);
        File.AppendAllText(dir["root-cert.pem"], next.Root.ExportCertificatePem() + "\n");

        var ca = Ca.LoadPluggedIn(dir.Path, new CaOptions { Time = _clock });
        var (_, csr) = CsrFactory.Create(Sleep);
        var chain = ca.Sign(csr, Sleep);

        Assert.Equal(2, ca.TrustBundle.Roots.Length);
        Assert.Equal(current.Root.RawData, X509Certificate2.CreateFromPem(chain[^1]).RawData);
        var nextWorkload = next.IssueWorkload("foo", "httpbin");
        Assert.True(ca.TrustBundle.Verify(nextWorkload.Leaf, nextWorkload.Intermediates, _clock.GetUtcNow(), out var error), error);
    }

    [Fact]
    public void The_kubernetes_tls_layout_is_accepted_as_a_plugged_in_ca()
    {
        using var dir = new TempDirectory();
        var testCa = TestCertificateAuthority.Create(time: _clock);
        using (var key = Pem.GetPrivateKey(testCa.Intermediate!))
            File.WriteAllText(dir["tls.key"], Pem.WritePrivateKey(key));
        File.WriteAllText(dir["tls.crt"], Pem.Write([testCa.Intermediate!]));
        File.WriteAllText(dir["ca.crt"], Pem.Write([testCa.Root]));

        var ca = Ca.LoadPluggedIn(dir.Path, new CaOptions { Time = _clock });
        var (_, csr) = CsrFactory.Create(Sleep);

        Assert.Equal(testCa.Intermediate!.Subject, Leaf(ca.Sign(csr, Sleep)).Issuer);

        File.WriteAllText(dir["tls.key"], Pem.WritePrivateKey(CsrFactory.CreateKey(KeyAlgorithm.EcdsaP256)));
        var error = Assert.Throws<CaException>(() => Ca.LoadPluggedIn(dir.Path, new CaOptions { Time = _clock }));
        Assert.Contains("tls.key does not match tls.crt", error.Message);
    }
}
