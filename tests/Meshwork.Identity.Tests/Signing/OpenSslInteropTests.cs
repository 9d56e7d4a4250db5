using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.Testing;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Identity.Tests.Signing;

/// <summary>What a user sees when they point the real openssl at the files Meshwork writes.</summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly SpiffeId Sleep = new("cluster.local", "foo", "sleep");

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256, KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.Rsa2048, KeyAlgorithm.Rsa2048)]
    [InlineData(KeyAlgorithm.EcdsaP256, KeyAlgorithm.Rsa2048)]
    public void Workload_files_from_a_self_signed_ca_pass_openssl_verify(KeyAlgorithm root, KeyAlgorithm workload)
    {
        var ca = Ca.LoadOrCreateSelfSigned(_dir["state"], new CaOptions { RootKeyAlgorithm = root });
        var (key, csr) = CsrFactory.Create(Sleep, workload);
        WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, Sleep), ca.TrustBundle).WriteTo(_dir["workload"]);

        var output = OpenSsl.MustRun(_dir["workload"], "verify", "-CAfile", "root-cert.pem", "cert-chain.pem");
        Assert.Contains("cert-chain.pem: OK", output);
        // The key on disk is the key of the certificate on disk.
        Assert.Equal(
            OpenSsl.MustRun(_dir["workload"], "x509", "-in", "cert-chain.pem", "-noout", "-pubkey"),
            OpenSsl.MustRun(_dir["workload"], "pkey", "-in", "key.pem", "-pubout"));
    }

    [Fact]
    public void Openssl_shows_the_spiffe_san_both_ekus_and_a_24_hour_validity()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_dir["state"], new CaOptions());
        var (_, csr) = CsrFactory.Create(Sleep);
        var chain = ca.Sign(csr, Sleep);
        File.WriteAllText(_dir["leaf.pem"], chain[0]);

        var text = OpenSsl.MustRun(_dir.Path, "x509", "-in", "leaf.pem", "-noout", "-text");

        Assert.Contains("URI:spiffe://cluster.local/ns/foo/sa/sleep", text);
        Assert.Contains("X509v3 Subject Alternative Name: critical", text);
        Assert.Contains("TLS Web Server Authentication, TLS Web Client Authentication", text);
        Assert.Contains("CA:FALSE", text);
        Assert.Contains("Digital Signature, Key Encipherment", text);
        Assert.Contains("Issuer: O = cluster.local", text);

        var dates = OpenSsl.MustRun(_dir.Path, "x509", "-in", "leaf.pem", "-noout", "-startdate", "-enddate");
        var notBefore = ParseOpenSslDate(dates, "notBefore=");
        var notAfter = ParseOpenSslDate(dates, "notAfter=");
        Assert.Equal(TimeSpan.FromHours(24) + TimeSpan.FromMinutes(2), notAfter - notBefore);
    }

    [Fact]
    public void A_plugged_in_ca_made_with_openssl_signs_certificates_issued_by_the_intermediate()
    {
        var cacerts = OpenSslCa.MakeRootAndIntermediate(_dir["certs"]);
        var ca = Ca.LoadPluggedIn(cacerts, new CaOptions());
        var (key, csr) = CsrFactory.Create(Sleep);

        var chain = ca.Sign(csr, Sleep);

        var leaf = X509Certificate2.CreateFromPem(chain[0]);
        var intermediate = Pem.ReadCertificates(File.ReadAllText(Path.Combine(cacerts, "ca-cert.pem")))[0];
        Assert.Contains("CN=Intermediate CA", intermediate.Subject);
        Assert.Equal(intermediate.Subject, leaf.Issuer);
        Assert.Equal(3, chain.Length);
        Assert.False(ca.IsSelfSigned);

        // The workload's files verify with openssl against the plugged-in root, the intermediate coming from cert-chain.pem.
        WorkloadCredentials.FromSignedChain(key, chain, ca.TrustBundle).WriteTo(_dir["workload"]);
        Assert.Contains("cert-chain.pem: OK", OpenSsl.MustRun(_dir["workload"], "verify", "-CAfile", "root-cert.pem", "-untrusted", "cert-chain.pem", "cert-chain.pem"));
        // Without the intermediate, openssl cannot reach the root: the file really carries it.
        Assert.NotEqual(0, OpenSsl.Run(_dir["workload"], "verify", "-CAfile", "root-cert.pem", "cert-chain.pem").ExitCode);
        // And the raw CA response verifies the way the acceptance check states it.
        File.WriteAllText(_dir["leaf.pem"], chain[0]);
        File.WriteAllText(_dir["intermediates.pem"], string.Concat(chain.Skip(1).SkipLast(1)));
        Assert.Contains("leaf.pem: OK", OpenSsl.MustRun(_dir.Path, "verify", "-CAfile", Path.Combine(cacerts, "root-cert.pem"), "-untrusted", "intermediates.pem", "leaf.pem"));
    }

    [Fact]
    public void A_plugged_in_ca_with_pkcs1_and_sec1_keys_loads()
    {
        var rsa = OpenSslCa.MakeRootAndIntermediate(_dir["rsa"], intermediateKey: ["genrsa", "-traditional", "-out", "ca-key.pem", "2048"]);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----", File.ReadAllText(Path.Combine(rsa, "ca-key.pem")));
        Assert.False(Ca.LoadPluggedIn(rsa, new CaOptions()).IsSelfSigned);

        var ec = OpenSslCa.MakeRootAndIntermediate(_dir["ec"], intermediateKey: ["ecparam", "-name", "prime256v1", "-genkey", "-out", "ca-key.pem"]);
        Assert.Contains("-----BEGIN EC PRIVATE KEY-----", File.ReadAllText(Path.Combine(ec, "ca-key.pem")));
        var ca = Ca.LoadPluggedIn(ec, new CaOptions());
        var (_, csr) = CsrFactory.Create(Sleep);
        Assert.Equal(3, ca.Sign(csr, Sleep).Length);
    }

    [Fact]
    public void A_key_that_does_not_match_ca_cert_is_refused_at_start()
    {
        var cacerts = OpenSslCa.MakeRootAndIntermediate(_dir["certs"]);
        OpenSsl.MustRun(cacerts, "genrsa", "-out", "ca-key.pem", "2048");

        var error = Assert.Throws<CaException>(() => Ca.LoadPluggedIn(cacerts, new CaOptions()));
        Assert.Equal(CaErrorKind.BadCaConfiguration, error.Kind);
        Assert.Contains("ca-key.pem does not match ca-cert.pem", error.Message);
    }

    [Fact]
    public void A_signing_certificate_that_is_not_a_ca_is_refused_at_start()
    {
        var cacerts = OpenSslCa.MakeRootAndIntermediate(_dir["certs"], intermediateExtensions: "basicConstraints=critical,CA:false\nkeyUsage=critical,digitalSignature\n");

        var error = Assert.Throws<CaException>(() => Ca.LoadPluggedIn(cacerts, new CaOptions()));
        Assert.Equal(CaErrorKind.BadCaConfiguration, error.Kind);
        Assert.Contains("not a CA certificate", error.Message);
    }

    [Fact]
    public void A_chain_that_does_not_reach_root_cert_is_refused_at_start()
    {
        var cacerts = OpenSslCa.MakeRootAndIntermediate(_dir["certs"]);
        var other = OpenSslCa.MakeRootAndIntermediate(_dir["other"]);
        File.Copy(Path.Combine(other, "root-cert.pem"), Path.Combine(cacerts, "root-cert.pem"), overwrite: true);
        File.WriteAllText(Path.Combine(cacerts, "cert-chain.pem"), File.ReadAllText(Path.Combine(cacerts, "ca-cert.pem")));

        var error = Assert.Throws<CaException>(() => Ca.LoadPluggedIn(cacerts, new CaOptions()));
        Assert.Equal(CaErrorKind.BadCaConfiguration, error.Kind);
        Assert.Contains("does not chain to root-cert.pem", error.Message);
    }

    [Fact]
    public void An_expired_signing_certificate_is_refused_at_start()
    {
        var cacerts = OpenSslCa.MakeRootAndIntermediate(_dir["certs"], intermediateDays: 1);
        var inThreeDays = new FakeTimeProvider(DateTimeOffset.UtcNow.AddDays(3));

        var error = Assert.Throws<CaException>(() => Ca.LoadPluggedIn(cacerts, new CaOptions { Time = inThreeDays }));
        Assert.Equal(CaErrorKind.BadCaConfiguration, error.Kind);
        Assert.Contains("expired", error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var cacerts = OpenSslCa.MakeRootAndIntermediate(_dir["certs"]);
        File.Delete(Path.Combine(cacerts, "root-cert.pem"));

        var error = Assert.Throws<CaException>(() => Ca.LoadPluggedIn(cacerts, new CaOptions()));
        Assert.Equal(CaErrorKind.BadCaConfiguration, error.Kind);
        Assert.Contains("missing root-cert.pem", error.Message);
    }

    private static DateTimeOffset ParseOpenSslDate(string output, string prefix)
    {
        var line = output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim();
        // e.g. "Jan  1 00:00:00 2030 GMT"
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return DateTimeOffset.ParseExact($"{parts[0]} {parts[1]} {parts[2]} {parts[3]}", "MMM d HH:mm:ss yyyy",
            System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal);
    }
}

/// <summary>A root and an intermediate made with openssl commands, as Istio's plug-in CA task makes them.</summary>
internal static class OpenSslCa
{
    private const string IntermediateCaExtensions =
        "basicConstraints=critical,CA:true,pathlen:0\n" +
        "keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign\n" +
        "subjectAltName=DNS:istiod.istio-system.svc\n";

    /// <summary>Returns the cacerts directory (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem).</summary>
    public static string MakeRootAndIntermediate(string directory, string intermediateExtensions = IntermediateCaExtensions,
        int intermediateDays = 730, string[]? intermediateKey = null)
    {
        var root = Directory.CreateDirectory(directory).FullName;
        var cluster = Directory.CreateDirectory(Path.Combine(root, "cluster1")).FullName;
        OpenSsl.MustRun(root, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root-key.pem", "-out", "root-cert.pem",
            "-days", "3650", "-sha256", "-subj", "/O=Istio/CN=Root CA",
            "-addext", "basicConstraints=critical,CA:true", "-addext", "keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,keyCertSign");

        OpenSsl.MustRun(cluster, intermediateKey ?? ["genrsa", "-out", "ca-key.pem", "2048"]);
        OpenSsl.MustRun(cluster, "req", "-new", "-key", "ca-key.pem", "-out", "cluster-ca.csr", "-subj", "/O=Istio/CN=Intermediate CA/L=cluster1");
        File.WriteAllText(Path.Combine(cluster, "ext.cnf"), "[ext]\n" + intermediateExtensions);
        OpenSsl.MustRun(cluster, "x509", "-req", "-sha256", "-days", intermediateDays.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-CA", "../root-cert.pem", "-CAkey", "../root-key.pem", "-CAcreateserial",
            "-extfile", "ext.cnf", "-extensions", "ext", "-in", "cluster-ca.csr", "-out", "ca-cert.pem");
        File.Copy(Path.Combine(root, "root-cert.pem"), Path.Combine(cluster, "root-cert.pem"));
        File.WriteAllText(Path.Combine(cluster, "cert-chain.pem"),
            File.ReadAllText(Path.Combine(cluster, "ca-cert.pem")) + File.ReadAllText(Path.Combine(root, "root-cert.pem")));
        return cluster;
    }
}
