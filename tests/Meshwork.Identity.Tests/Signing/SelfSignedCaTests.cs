using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.Testing;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Identity.Tests.Signing;

public sealed class SelfSignedCaTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly FakeTimeProvider _clock = new();

    public void Dispose() => _state.Dispose();

    [Fact]
    public void First_start_creates_a_ten_year_root_for_the_trust_domain_in_istios_file_layout()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { TrustDomain = "example.org", Time = _clock });

        var dir = _state["ca"];
        foreach (var file in new[] { "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem" })
            Assert.True(File.Exists(Path.Combine(dir, file)), file);
        Assert.Equal(Files.OwnerOnly, Files.Mode(Path.Combine(dir, "ca-key.pem")));
        Assert.DoesNotContain(Directory.GetFiles(dir), f => f.EndsWith(".tmp", StringComparison.Ordinal));

        var root = ca.Root;
        Assert.Equal("O=example.org", root.Subject);
        Assert.Equal(root.Subject, root.Issuer);
        Assert.True(root.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(_clock.GetUtcNow().AddDays(3650), new DateTimeOffset(root.NotAfter.ToUniversalTime()));
        Assert.Equal("ECC", root.PublicKey.Oid.FriendlyName);
        Assert.True(ca.IsSelfSigned);
    }

    [Fact]
    public void A_restart_reloads_the_same_root()
    {
        var first = Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { Time = _clock });
        var (_, csr) = CsrFactory.Create(new SpiffeId("cluster.local", "foo", "sleep"));
        var issuedBefore = first.Sign(csr, new SpiffeId("cluster.local", "foo", "sleep"));

        var second = Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { Time = _clock });

        Assert.Equal(first.Root.Thumbprint, second.Root.Thumbprint);
        // Certificates issued before the restart still verify against the reloaded bundle.
        var leaf = X509Certificate2.CreateFromPem(issuedBefore[0]);
        Assert.True(second.TrustBundle.Verify(leaf, [], _clock.GetUtcNow(), out var error), error);
    }

    [Fact]
    public void Rsa_2048_roots_are_available()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { RootKeyAlgorithm = KeyAlgorithm.Rsa2048, Time = _clock });
        Assert.Equal(2048, ca.Root.GetRSAPublicKey()!.KeySize);
        var id = new SpiffeId("cluster.local", "foo", "sleep");
        var (key, csr) = CsrFactory.Create(id);
        var credentials = WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, id), ca.TrustBundle);
        Assert.True(ca.TrustBundle.Verify(credentials.Leaf, [], _clock.GetUtcNow(), out var error), error);
    }

    [Fact]
    public void A_half_present_ca_directory_is_refused_rather_than_overwritten()
    {
        Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { Time = _clock });
        File.Delete(_state["ca/ca-key.pem"]);

        var error = Assert.Throws<CaException>(() => Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { Time = _clock }));
        Assert.Equal(CaErrorKind.BadCaConfiguration, error.Kind);
        Assert.Contains("ca-key.pem", error.Message);
        Assert.True(File.Exists(_state["ca/ca-cert.pem"]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    public void An_invalid_trust_domain_is_refused(string trustDomain) =>
        Assert.Equal(CaErrorKind.BadCaConfiguration,
            Assert.Throws<CaException>(() => Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { TrustDomain = trustDomain })).Kind);
}
