using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Testing;

namespace Meshwork.Identity.Tests.Certificates;

public sealed class WorkloadCredentialsTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(KeyAlgorithm.EcdsaP256)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public void Files_written_are_read_back_as_the_same_credentials(KeyAlgorithm algorithm)
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var credentials = ca.Issue(new LeafSpec { Identity = ca.Id("foo", "sleep"), KeyAlgorithm = algorithm });

        credentials.WriteTo(_dir.Path);
        var read = WorkloadCredentials.ReadFrom(_dir.Path);

        Assert.Equal(credentials.Leaf.RawData, read.Leaf.RawData);
        Assert.True(read.Leaf.HasPrivateKey);
        Assert.Equal(credentials.Identity, read.Identity);
        Assert.Equal(credentials.Intermediates.Select(c => c.Thumbprint), read.Intermediates.Select(c => c.Thumbprint));
        Assert.Equal(credentials.TrustBundle.ToPem().ToArray(), read.TrustBundle.ToPem().ToArray());
        Assert.True(read.TrustBundle.Verify(read.Leaf, read.Intermediates, _clock.GetUtcNow(), out var error), error);
    }

    [Fact]
    public void The_key_file_is_readable_by_its_owner_only_and_no_temporary_file_is_left()
    {
        TestCertificateAuthority.Create(time: _clock).IssueWorkload("foo", "sleep").WriteTo(_dir.Path);

        Assert.Equal(Files.OwnerOnly, Files.Mode(_dir["key.pem"]));
        Assert.Equal(["cert-chain.pem", "key.pem", "root-cert.pem"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Writing_again_replaces_the_files_whole()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        ca.IssueWorkload("foo", "sleep").WriteTo(_dir.Path);
        var renewed = ca.IssueWorkload("foo", "sleep");

        renewed.WriteTo(_dir.Path);

        Assert.Equal(renewed.Leaf.RawData, WorkloadCredentials.ReadFrom(_dir.Path).Leaf.RawData);
        Assert.Equal(Files.OwnerOnly, Files.Mode(_dir["key.pem"]));
    }

    [Fact]
    public void A_key_from_another_certificate_is_refused_on_read()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        ca.IssueWorkload("foo", "sleep").WriteTo(_dir.Path);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(_dir["key.pem"], other.ExportPkcs8PrivateKeyPem());

        var error = Assert.Throws<CryptographicException>(() => WorkloadCredentials.ReadFrom(_dir.Path));
        Assert.Contains("does not match the private key", error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        TestCertificateAuthority.Create(time: _clock).IssueWorkload("foo", "sleep").WriteTo(_dir.Path);
        File.Delete(_dir["root-cert.pem"]);
        Assert.Contains("root-cert.pem", Assert.Throws<FileNotFoundException>(() => WorkloadCredentials.ReadFrom(_dir.Path)).Message);
    }

    [Fact]
    public void A_signed_chain_keeps_intermediates_and_leaves_the_root_to_the_bundle()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var id = ca.Id("foo", "sleep");
        var (key, _) = CsrFactory.Create(id);
        var leaf = ca.IssueCertificate(new LeafSpec { Identity = id });
        using var leafKey = leaf.GetECDsaPrivateKey()!;
        var credentials = WorkloadCredentials.FromSignedChain(leafKey, ca.ChainPem(leaf), ca.TrustBundle);

        Assert.Equal([ca.Intermediate!.Thumbprint], credentials.Intermediates.Select(c => c.Thumbprint));
        Assert.Equal(id, credentials.Identity);
        Assert.Throws<CryptographicException>(() => WorkloadCredentials.FromSignedChain(key, ca.ChainPem(leaf), ca.TrustBundle));
    }

    [Fact]
    public void A_certificate_without_a_spiffe_id_is_not_a_workload_credential()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var dnsOnly = ca.IssueCertificate(new LeafSpec { DnsNames = ["example.com"] });
        var error = Assert.Throws<CryptographicException>(() => WorkloadCredentials.FromCertificate(dnsOnly, ca.Intermediates, ca.TrustBundle));
        Assert.Contains("no SPIFFE ID", error.Message);
    }
}
