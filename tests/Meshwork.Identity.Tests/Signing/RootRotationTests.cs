using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.Testing;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Identity.Tests.Signing;

public sealed class RootRotationTests : IDisposable
{
    private static readonly SpiffeId Sleep = new("cluster.local", "foo", "sleep");
    private readonly TempDirectory _state = new();
    private readonly FakeTimeProvider _clock = new();
    private readonly CaOptions _options;

    public RootRotationTests() => _options = new CaOptions { Time = _clock, RootTtl = TimeSpan.FromDays(100) };

    public void Dispose() => _state.Dispose();

    private WorkloadCredentials IssueFrom(Ca ca)
    {
        var (key, csr) = CsrFactory.Create(Sleep);
        return WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, Sleep), ca.TrustBundle);
    }

    [Fact]
    public void The_root_is_reissued_with_the_same_key_when_less_than_a_fifth_of_its_life_remains()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_state.Path, _options);
        var oldRoot = ca.Root;
        TrustBundle? pushed = null;
        ca.TrustBundleChanged += (_, bundle) => pushed = bundle;

        _clock.Advance(TimeSpan.FromDays(79));
        Assert.False(ca.RotateSelfSignedRootIfDue());
        Assert.Null(pushed);

        _clock.Advance(TimeSpan.FromDays(2));
        var before = IssueFrom(ca);
        Assert.True(ca.RotateSelfSignedRootIfDue());

        var newRoot = ca.Root;
        Assert.NotEqual(oldRoot.Thumbprint, newRoot.Thumbprint);
        Assert.Equal(oldRoot.Subject, newRoot.Subject);
        Assert.Equal(oldRoot.PublicKey.EncodedKeyValue.RawData, newRoot.PublicKey.EncodedKeyValue.RawData);
        Assert.Equal(_clock.GetUtcNow().AddDays(100), new DateTimeOffset(newRoot.NotAfter.ToUniversalTime()));
        Assert.Same(ca.TrustBundle, pushed);
        Assert.Equal([newRoot.Thumbprint, oldRoot.Thumbprint], ca.TrustBundle.Roots.Select(r => r.Thumbprint));
        Assert.False(ca.RotateSelfSignedRootIfDue());

        // Old certificates verify with only the new root; new ones with only the old root (peers not yet updated).
        var after = IssueFrom(ca);
        var now = _clock.GetUtcNow();
        Assert.True(new TrustBundle([newRoot]).Verify(before.Leaf, [], now, out var error), error);
        Assert.True(new TrustBundle([oldRoot]).Verify(after.Leaf, [], now, out error), error);
        Assert.Equal(2, ca.Sign(CsrFactory.Create(Sleep).CsrPem, Sleep).Length);
    }

    [Fact]
    public void A_restart_after_rotation_loads_the_new_root_and_both_roots_in_the_bundle()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_state.Path, _options);
        _clock.Advance(TimeSpan.FromDays(85));
        Assert.True(ca.RotateSelfSignedRootIfDue());

        var reloaded = Ca.LoadOrCreateSelfSigned(_state.Path, _options);

        Assert.Equal(ca.Root.Thumbprint, reloaded.Root.Thumbprint);
        Assert.True(reloaded.IsSelfSigned);
        Assert.Equal(2, reloaded.TrustBundle.Roots.Length);
        Assert.Equal(Files.OwnerOnly, Files.Mode(_state["ca/ca-key.pem"]));
    }

    [Fact]
    public void An_expired_old_root_leaves_the_bundle_at_the_next_rotation()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_state.Path, _options);
        _clock.Advance(TimeSpan.FromDays(85));
        ca.RotateSelfSignedRootIfDue();
        _clock.Advance(TimeSpan.FromDays(85));
        Assert.True(ca.RotateSelfSignedRootIfDue());
        Assert.Equal(2, ca.TrustBundle.Roots.Length);
        Assert.All(ca.TrustBundle.Roots, r => Assert.True(r.NotAfter.ToUniversalTime() > _clock.GetUtcNow().UtcDateTime));
    }

    [Fact]
    public void A_plugged_in_ca_is_never_rotated()
    {
        var testCa = TestCertificateAuthority.Create(time: _clock, intermediateNotAfter: _clock.GetUtcNow().AddDays(2));
        testCa.WriteCaCerts(_state["cacerts"]);
        var ca = Ca.LoadPluggedIn(_state["cacerts"], _options);
        _clock.Advance(TimeSpan.FromDays(1.9));
        Assert.False(ca.RotateSelfSignedRootIfDue());
    }

    [Fact]
    public async Task The_rotator_checks_every_hour_and_rotates_when_due()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_state.Path, _options);
        var original = ca.Root.Thumbprint;
        await using var rotator = new RootRotator(ca, _options);

        // Hour by hour up to 81 days: the rotation happens at the first check past 80 days.
        var deadline = _clock.GetUtcNow().AddDays(81);
        while (_clock.GetUtcNow() < deadline)
        {
            var waitUntil = DateTime.UtcNow.AddSeconds(15);
            while (_clock.PendingTimers == 0)
            {
                Assert.True(DateTime.UtcNow < waitUntil, "the rotator never waited for its next check");
                await Task.Delay(1);
            }
            _clock.Advance(TimeSpan.FromHours(1));
        }
        var until = DateTime.UtcNow.AddSeconds(15);
        while (ca.Root.Thumbprint == original && DateTime.UtcNow < until) await Task.Delay(5);

        Assert.NotEqual(original, ca.Root.Thumbprint);
        Assert.Null(rotator.LastError);
    }
}
