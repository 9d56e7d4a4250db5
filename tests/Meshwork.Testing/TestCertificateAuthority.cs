using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.Identity;

namespace Meshwork.Testing;

/// <summary>
/// A throwaway CA for tests: a root and (by default) an intermediate, both in memory, issuing any leaf a test
/// needs — valid, expired, not yet valid, without EKU, for another identity — in well under a millisecond
/// (ECDSA P-256). A second instance is a foreign CA: its certificates do not verify against the first's bundle.
/// </summary>
/// <example>
/// <code>
/// var ca = TestCertificateAuthority.Shared;
/// var httpbin = ca.IssueWorkload("foo", "httpbin");              // WorkloadCredentials, chain → ca.TrustBundle
/// var stale = ca.IssueExpired(ca.Id("foo", "sleep"));
/// var stranger = TestCertificateAuthority.Create().IssueWorkload("foo", "sleep");   // foreign CA
/// </code>
/// </example>
public sealed class TestCertificateAuthority
{
    private static readonly Lazy<TestCertificateAuthority> SharedInstance = new(() => Create());
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private TestCertificateAuthority(string trustDomain, X509Certificate2 root, X509Certificate2? intermediate, TimeProvider time)
    {
        TrustDomain = trustDomain;
        Root = root;
        Intermediate = intermediate;
        Time = time;
        TrustBundle = new TrustBundle([root]);
    }

    /// <summary>One CA per test process for tests that only need "a valid mesh CA" (trust domain cluster.local, with an intermediate, real clock).</summary>
    public static TestCertificateAuthority Shared => SharedInstance.Value;

    public string TrustDomain { get; }

    /// <summary>The self-signed root, with its private key.</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The intermediate that signs leaves, with its key; null when created with <c>withIntermediate: false</c>.</summary>
    public X509Certificate2? Intermediate { get; }

    /// <summary>The certificate that signs leaves: the intermediate when there is one, else the root.</summary>
    public X509Certificate2 Issuer => Intermediate ?? Root;

    public TrustBundle TrustBundle { get; }

    public TimeProvider Time { get; }

    /// <summary>
    /// A new CA. <paramref name="name"/> goes into the subjects so failures are readable; the validity of root and
    /// intermediate runs from one day before <paramref name="time"/>'s now for ten years unless overridden.
    /// </summary>
    public static TestCertificateAuthority Create(
        string trustDomain = "cluster.local",
        bool withIntermediate = true,
        TimeProvider? time = null,
        KeyAlgorithm keyAlgorithm = KeyAlgorithm.EcdsaP256,
        string name = "Test",
        DateTimeOffset? intermediateNotAfter = null)
    {
        time ??= TimeProvider.System;
        var now = time.GetUtcNow();
        var root = CreateCaCertificate($"CN={name} Root CA, O={trustDomain}", null, now.AddDays(-1), now.AddYears(10), keyAlgorithm);
        var intermediate = withIntermediate
            ? CreateCaCertificate($"CN={name} Intermediate CA, O={trustDomain}", root, now.AddDays(-1), intermediateNotAfter ?? now.AddYears(5), keyAlgorithm)
            : null;
        return new TestCertificateAuthority(trustDomain, root, intermediate, time);
    }

    /// <summary>
    /// Another intermediate under the same root, as a second cluster of one mesh has (Istio's multi-cluster
    /// plug-in CA setup): its workloads verify against this CA's trust bundle and vice versa.
    /// </summary>
    public TestCertificateAuthority CreateSiblingIntermediate(string name = "Sibling", KeyAlgorithm keyAlgorithm = KeyAlgorithm.EcdsaP256)
    {
        var now = Time.GetUtcNow();
        var intermediate = CreateCaCertificate($"CN={name} Intermediate CA, O={TrustDomain}", Root, now.AddDays(-1), now.AddYears(5), keyAlgorithm);
        return new TestCertificateAuthority(TrustDomain, Root, intermediate, Time);
    }

    /// <summary>The SPIFFE ID of a service account in this CA's trust domain.</summary>
    public SpiffeId Id(string @namespace, string serviceAccount) => new(TrustDomain, @namespace, serviceAccount);

    /// <summary>A valid workload certificate for ns/sa with serverAuth+clientAuth, like the mesh CA issues.</summary>
    public WorkloadCredentials IssueWorkload(string @namespace, string serviceAccount, TimeSpan? lifetime = null) =>
        Issue(new LeafSpec { Identity = Id(@namespace, serviceAccount), Lifetime = lifetime ?? TimeSpan.FromHours(24) });

    /// <summary>A certificate for <paramref name="identity"/> that expired an hour ago.</summary>
    public WorkloadCredentials IssueExpired(SpiffeId identity)
    {
        var now = Time.GetUtcNow();
        return Issue(new LeafSpec { Identity = identity, NotBefore = now.AddDays(-2), NotAfter = now.AddHours(-1) });
    }

    /// <summary>A certificate for <paramref name="identity"/> that becomes valid in a day.</summary>
    public WorkloadCredentials IssueNotYetValid(SpiffeId identity)
    {
        var now = Time.GetUtcNow();
        return Issue(new LeafSpec { Identity = identity, NotBefore = now.AddDays(1), NotAfter = now.AddDays(2) });
    }

    /// <summary>A certificate for <paramref name="identity"/> without any extended key usage.</summary>
    public WorkloadCredentials IssueWithoutEku(SpiffeId identity) => Issue(new LeafSpec { Identity = identity, Usage = LeafUsage.NoEku });

    /// <summary>Credentials for a leaf made to <paramref name="spec"/>; <see cref="LeafSpec.Identity"/> is required.</summary>
    public WorkloadCredentials Issue(LeafSpec spec)
    {
        if (spec.Identity is null) throw new ArgumentException("WorkloadCredentials need a SPIFFE identity; use IssueCertificate for a leaf without one", nameof(spec));
        return WorkloadCredentials.FromCertificate(IssueCertificate(spec), Intermediates, TrustBundle);
    }

    /// <summary>A bare leaf with its private key, for cases credentials cannot express (no SPIFFE ID, DNS-only, …).</summary>
    public X509Certificate2 IssueCertificate(LeafSpec spec)
    {
        var now = Time.GetUtcNow();
        var notBefore = spec.NotBefore ?? now.AddMinutes(-2);
        var notAfter = spec.NotAfter ?? now + spec.Lifetime;
        using var key = CsrFactory.CreateKey(spec.KeyAlgorithm);
        var request = NewRequest(spec.Subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        var usages = spec.Usage switch
        {
            LeafUsage.ServerAndClient => new OidCollection { ServerAuth, ClientAuth },
            LeafUsage.ServerOnly => new OidCollection { ServerAuth },
            LeafUsage.ClientOnly => new OidCollection { ClientAuth },
            _ => null,
        };
        if (usages is not null) request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        var uris = (spec.Identity is { } id ? [id.Uri] : Array.Empty<string>()).Concat(spec.ExtraUris).ToList();
        if (uris.Count > 0 || spec.DnsNames.Count > 0 || spec.IpAddresses.Count > 0)
            request.CertificateExtensions.Add(SubjectAltNames.Build(uris, spec.DnsNames, spec.IpAddresses, critical: spec.Subject.Length == 0));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Issuer, true, false));
        var certificate = request.Create(Issuer.SubjectName, SignatureGenerator(Issuer), notBefore, notAfter, Serial());
        return Pem.WithPrivateKey(certificate, key);
    }

    /// <summary>The intermediates a leaf of this CA presents (empty without an intermediate).</summary>
    public IReadOnlyList<X509Certificate2> Intermediates => Intermediate is null ? [] : [Intermediate];

    /// <summary>The chain as the mesh CA returns it: leaf PEM first, intermediate, root last.</summary>
    public IReadOnlyList<string> ChainPem(X509Certificate2 leaf) =>
        [leaf.ExportCertificatePem(), .. Intermediates.Select(c => c.ExportCertificatePem()), Root.ExportCertificatePem()];

    /// <summary>Writes Istio's cacerts layout (ca-cert.pem = intermediate, ca-key.pem, root-cert.pem, cert-chain.pem) for a plugged-in CA.</summary>
    public void WriteCaCerts(string directory)
    {
        Directory.CreateDirectory(directory);
        using var key = Pem.GetPrivateKey(Issuer);
        File.WriteAllText(Path.Combine(directory, CaFiles.CaCert), Issuer.ExportCertificatePem() + "\n");
        AtomicFile.WriteAllText(Path.Combine(directory, CaFiles.CaKey), Pem.WritePrivateKey(key), AtomicFile.Private);
        File.WriteAllText(Path.Combine(directory, CaFiles.RootCert), Root.ExportCertificatePem() + "\n");
        File.WriteAllText(Path.Combine(directory, CaFiles.CertChain), Pem.Write([.. Intermediates, Root]));
    }

    /// <summary>A Meshwork CA that signs with this test CA's issuer, for tests that need real CSR signing.</summary>
    public Meshwork.CertificateAuthority.CertificateAuthority ToCertificateAuthority(CaOptions? options = null)
    {
        options ??= new CaOptions { TrustDomain = TrustDomain, Time = Time };
        var bundle = KeyCertBundle.Create(Issuer, Intermediates.Append(Root), [Root], options.Time.GetUtcNow());
        return Meshwork.CertificateAuthority.CertificateAuthority.FromBundle(bundle, options);
    }

    private static X509Certificate2 CreateCaCertificate(string subject, X509Certificate2? issuer, DateTimeOffset notBefore, DateTimeOffset notAfter, KeyAlgorithm keyAlgorithm)
    {
        using var key = CsrFactory.CreateKey(keyAlgorithm);
        var request = NewRequest(subject, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        X509Certificate2 certificate;
        if (issuer is null)
        {
            certificate = request.Create(request.SubjectName, SignatureGenerator(key), notBefore, notAfter, Serial());
        }
        else
        {
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            certificate = request.Create(issuer.SubjectName, SignatureGenerator(issuer), notBefore, notAfter, Serial());
        }
        return Pem.WithPrivateKey(certificate, key);
    }

    private static CertificateRequest NewRequest(string subject, AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => new CertificateRequest(new X500DistinguishedName(subject), ec, HashAlgorithmName.SHA256),
        RSA rsa => new CertificateRequest(new X500DistinguishedName(subject), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("unsupported key", nameof(key)),
    };

    private static X509SignatureGenerator SignatureGenerator(X509Certificate2 issuer) =>
        issuer.GetECDsaPrivateKey() is { } ec ? X509SignatureGenerator.CreateForECDsa(ec)
        : X509SignatureGenerator.CreateForRSA(issuer.GetRSAPrivateKey()!, RSASignaturePadding.Pkcs1);

    private static X509SignatureGenerator SignatureGenerator(AsymmetricAlgorithm key) => key switch
    {
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        _ => throw new ArgumentException("unsupported key", nameof(key)),
    };

    private static byte[] Serial()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
        return serial;
    }
}
