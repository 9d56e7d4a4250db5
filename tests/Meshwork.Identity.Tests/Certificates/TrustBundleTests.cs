using Meshwork.Testing;

namespace Meshwork.Identity.Tests.Certificates;

public sealed class TrustBundleTests
{
    private readonly FakeTimeProvider _clock = new();
    private static readonly SpiffeId Sleep = new("cluster.local", "foo", "sleep");

    [Fact]
    public void A_bundle_with_two_roots_accepts_workloads_of_either()
    {
        var oldCa = TestCertificateAuthority.Create(time: _clock, name: "Old");
        var newCa = TestCertificateAuthority.Create(time: _clock, name: "New");
        var bundle = TrustBundle.FromPem([.. oldCa.TrustBundle.ToPem(), .. newCa.TrustBundle.ToPem()]);

        foreach (var ca in new[] { oldCa, newCa })
        {
            var workload = ca.IssueWorkload("foo", "sleep");
            Assert.True(bundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow(), out var error), error);
        }
        Assert.Equal(2, bundle.Roots.Length);
    }

    [Fact]
    public void Pem_round_trips_and_duplicates_collapse()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var pem = ca.TrustBundle.ToPem();
        var twice = TrustBundle.FromPem([pem[0], pem[0] + pem[0]]);
        Assert.Single(twice.Roots);
        Assert.Equal(pem.ToArray(), TrustBundle.FromPem(string.Concat(pem)).ToPem().ToArray());
    }

    [Fact]
    public void A_certificate_from_another_ca_is_reported_as_an_unknown_ca()
    {
        var ours = TestCertificateAuthority.Create(time: _clock, name: "Ours");
        var theirs = TestCertificateAuthority.Create(time: _clock, name: "Theirs").IssueWorkload("foo", "sleep");

        Assert.False(ours.TrustBundle.Verify(theirs.Leaf, theirs.Intermediates, _clock.GetUtcNow(), out var error));
        Assert.Contains("not issued by a CA in the trust bundle", error);
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/sleep", error);
    }

    [Fact]
    public void A_leaf_without_its_intermediate_cannot_be_chained()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var workload = ca.IssueWorkload("foo", "sleep");
        Assert.False(ca.TrustBundle.Verify(workload.Leaf, [], _clock.GetUtcNow(), out var error));
        Assert.Contains("not issued by a CA in the trust bundle", error);
    }

    [Fact]
    public void An_expired_certificate_is_reported_with_its_expiry_time()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var expired = ca.IssueExpired(Sleep);
        Assert.False(ca.TrustBundle.Verify(expired.Leaf, expired.Intermediates, _clock.GetUtcNow(), out var error));
        Assert.Contains("expired at 2029-12-31 23:00:00Z", error);
    }

    [Fact]
    public void A_certificate_that_is_not_yet_valid_points_at_the_clock()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var early = ca.IssueNotYetValid(Sleep);
        Assert.False(ca.TrustBundle.Verify(early.Leaf, early.Intermediates, _clock.GetUtcNow(), out var error));
        Assert.Contains("not yet valid", error);
        Assert.Contains("clock", error);
    }

    [Fact]
    public void Verification_happens_at_the_given_time_not_the_machines()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var workload = ca.IssueWorkload("foo", "sleep", TimeSpan.FromHours(1));
        Assert.True(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow().AddMinutes(59), out _));
        Assert.False(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow().AddMinutes(61), out var error));
        Assert.Contains("expired", error);
    }

    [Fact]
    public void An_expired_intermediate_is_named()
    {
        var ca = TestCertificateAuthority.Create(time: _clock, intermediateNotAfter: _clock.GetUtcNow().AddHours(1));
        var workload = ca.Issue(new LeafSpec { Identity = Sleep, NotAfter = _clock.GetUtcNow().AddHours(5) });
        Assert.False(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow().AddHours(2), out var error));
        Assert.Contains("intermediate CA certificate 'CN=Test Intermediate CA", error);
    }

    [Fact]
    public void An_empty_bundle_trusts_nothing()
    {
        var workload = TestCertificateAuthority.Create(time: _clock).IssueWorkload("foo", "sleep");
        Assert.False(new TrustBundle([]).Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow(), out var error));
        Assert.Contains("empty", error);
    }

    [Fact]
    public void A_certificate_whose_signature_was_altered_is_refused()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var workload = ca.IssueWorkload("foo", "sleep");
        var der = workload.Leaf.RawData.ToArray();
        der[^2] ^= 0x01;
        using var altered = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
        Assert.False(ca.TrustBundle.Verify(altered, workload.Intermediates, _clock.GetUtcNow(), out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData(LeafUsage.ServerAndClient, CertificateUse.TlsClient, true)]
    [InlineData(LeafUsage.ServerAndClient, CertificateUse.TlsServer, true)]
    [InlineData(LeafUsage.ServerOnly, CertificateUse.TlsClient, false)]
    [InlineData(LeafUsage.ServerOnly, CertificateUse.TlsServer, true)]
    [InlineData(LeafUsage.ClientOnly, CertificateUse.TlsServer, false)]
    [InlineData(LeafUsage.NoEku, CertificateUse.TlsClient, true)]
    [InlineData(LeafUsage.NoEku, CertificateUse.TlsServer, true)]
    public void The_tls_role_is_checked_against_the_extended_key_usage(LeafUsage usage, CertificateUse use, bool allowed)
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var workload = ca.Issue(new LeafSpec { Identity = Sleep, Usage = usage });

        Assert.Equal(allowed, ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow(), use, out var error));
        if (!allowed) Assert.Contains("extended key usage lacks", error);
        Assert.True(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, _clock.GetUtcNow(), CertificateUse.Any, out _));
    }

    [Fact]
    public void A_remembered_success_does_not_outlive_any_certificate_of_the_chain()
    {
        var ca = TestCertificateAuthority.Create(time: _clock, intermediateNotAfter: _clock.GetUtcNow().AddHours(1));
        var workload = ca.Issue(new LeafSpec { Identity = Sleep, NotAfter = _clock.GetUtcNow().AddHours(5) });
        var now = _clock.GetUtcNow();

        for (var i = 0; i < 3; i++) Assert.True(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, now.AddMinutes(i), out _));

        Assert.False(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, now.AddHours(2), out var error));
        Assert.Contains("intermediate CA certificate", error);
        Assert.False(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, now.AddMinutes(-10), out error));
        Assert.Contains("not yet valid", error);
        Assert.True(ca.TrustBundle.Verify(workload.Leaf, workload.Intermediates, now.AddMinutes(30), out _));
    }

    [Fact]
    public void A_remembered_success_for_one_role_does_not_answer_for_another()
    {
        var ca = TestCertificateAuthority.Create(time: _clock);
        var serverOnly = ca.Issue(new LeafSpec { Identity = Sleep, Usage = LeafUsage.ServerOnly });
        Assert.True(ca.TrustBundle.Verify(serverOnly.Leaf, serverOnly.Intermediates, _clock.GetUtcNow(), CertificateUse.TlsServer, out _));
        Assert.False(ca.TrustBundle.Verify(serverOnly.Leaf, serverOnly.Intermediates, _clock.GetUtcNow(), CertificateUse.TlsClient, out _));
    }
}
