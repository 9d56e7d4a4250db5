using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Testing;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Identity.Tests;

/// <summary>The shared test CA does what other suites rely on: each kind of certificate fails or passes as its name says.</summary>
public sealed class TestCertificateAuthorityTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public void Valid_workload_certificates_verify_and_carry_their_identity()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var workload = ca.IssueWorkload("foo", "httpbin");
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/httpbin", workload.Identity.Uri);
        Assert.Equal(ca.Intermediate!.Subject, workload.Leaf.Issuer);
        Assert.True(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow(), out var error), error);
    }

    [Fact]
    public void Expired_foreign_and_not_yet_valid_certificates_fail()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var now = _clock.GetUtcNow();
        var expired = ca.IssueExpired(ca.Id("foo", "sleep"));
        var early = ca.IssueNotYetValid(ca.Id("foo", "sleep"));
        var foreign = TestCertificateAuthority.Create(time: _clock, name: "Foreign").IssueWorkload("foo", "sleep");

        Assert.False(ca.TrustBundle.Verify(expired.Leaf, expired.Intermediates, now, out _));
        Assert.False(ca.TrustBundle.Verify(early.Leaf, early.Intermediates, now, out _));
        Assert.False(ca.TrustBundle.Verify(foreign.Leaf, foreign.Intermediates, now, out _));
    }

    [Fact]
    public void Sibling_intermediates_share_the_root_and_trust_each_others_workloads()
    {
        var cluster1 = TestCertificateAuthority.Create(time: _clock);
        var cluster2 = cluster1.CreateSiblingIntermediate("Cluster2");
        var workload = cluster2.IssueWorkload("foo", "sleep");

        Assert.NotEqual(cluster1.Intermediate!.Thumbprint, cluster2.Intermediate!.Thumbprint);
        Assert.Equal(cluster2.Intermediate.Subject, workload.Leaf.Issuer);
        Assert.True(cluster1.TrustBundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow(), out var error), error);
    }

    [Fact]
    public void No_eku_certificates_have_no_extended_key_usage_extension()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var leaf = ca.IssueWithoutEku(ca.Id("foo", "sleep")).Leaf;
        Assert.Empty(leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>());
    }

    [Fact]
    public void Its_cacerts_directory_loads_as_a_plugged_in_ca()
    {
        using var dir = new TempDirectory();
        var testCa = TestCertificateAuthority.Create(time: _clock);
        testCa.WriteCaCerts(dir.Path);

        var ca = Ca.LoadPluggedIn(dir.Path, new Meshwork.CertificateAuthority.CaOptions { Time = _clock });

        Assert.Equal(testCa.Root.Thumbprint, ca.Root.Thumbprint);
        Assert.Equal(testCa.Intermediate!.Thumbprint, ca.SigningCertificate.Thumbprint);
    }

    [Fact]
    public void Minting_is_fast_enough_for_one_certificate_per_test()
    {
        var ca = TestCertificateAuthority.Create();
        ca.IssueWorkload("foo", "warmup");
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 50; i++) ca.IssueWorkload("foo", $"sa-{i}");
        // Generous bound for a loaded CI machine; ECDSA P-256 minting is well under a millisecond when idle.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"50 certificates took {watch.Elapsed}");
    }
}
