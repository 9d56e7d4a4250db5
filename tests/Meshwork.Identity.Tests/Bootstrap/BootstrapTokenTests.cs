using System.Buffers.Text;
using System.Text;
using Meshwork.CertificateAuthority;
using Meshwork.Testing;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Identity.Tests.Bootstrap;

public sealed class BootstrapTokenTests : IDisposable
{
    private readonly TempDirectory _state = new();
    private readonly FakeTimeProvider _clock = new();

    public void Dispose() => _state.Dispose();

    private BootstrapTokenAuthority Authority() => BootstrapTokenAuthority.LoadOrCreate(_state.Path, _clock);

    [Fact]
    public void A_fresh_token_proves_its_namespace_and_service_account()
    {
        var tokens = Authority();
        var (token, expiresAt) = tokens.Issue("foo", "sleep");

        Assert.Equal(("foo", "sleep"), tokens.Validate(token));
        Assert.Equal(_clock.GetUtcNow().AddMinutes(10), expiresAt);
    }

    [Fact]
    public void The_key_is_private_and_survives_a_restart()
    {
        var (token, _) = Authority().Issue("foo", "sleep");

        var keyFile = Path.Combine(_state.Path, "ca", BootstrapTokenAuthority.KeyFile);
        Assert.Equal(Files.OwnerOnly, Files.Mode(keyFile));
        Assert.Equal(("foo", "sleep"), Authority().Validate(token));
    }

    [Fact]
    public async Task A_token_is_redeemed_once_and_a_replica_sharing_the_ledger_refuses_it_too()
    {
        var ledger = new RedeemedTokens(_clock);
        var tokens = BootstrapTokenAuthority.LoadOrCreate(_state.Path, _clock, ledger);
        var (token, _) = tokens.Issue("foo", "sleep");
        var (other, _) = tokens.Issue("foo", "sleep");

        Assert.Equal(("foo", "sleep"), await tokens.RedeemAsync(token));
        var reused = await Assert.ThrowsAsync<CaException>(() => tokens.RedeemAsync(token));
        Assert.Equal(CaErrorKind.NotAuthenticated, reused.Kind);
        Assert.Contains("already used", reused.Message);
        Assert.Contains("already used", Assert.Throws<CaException>(() => tokens.Validate(token)).Message);

        // Another replica (or this one restarted) with the same key and ledger: the store is what they share.
        var replica = BootstrapTokenAuthority.LoadOrCreate(_state.Path, _clock, ledger);
        Assert.Contains("already used", (await Assert.ThrowsAsync<CaException>(() => replica.RedeemAsync(token))).Message);
        Assert.Equal(("foo", "sleep"), await replica.RedeemAsync(other));
    }

    [Fact]
    public async Task A_ledger_that_cannot_record_the_use_refuses_the_token_and_it_stays_usable()
    {
        var tokens = BootstrapTokenAuthority.LoadOrCreate(_state.Path, _clock, new UnreachableLedger());
        var (token, _) = tokens.Issue("foo", "sleep");

        var refused = await Assert.ThrowsAsync<CaException>(() => tokens.RedeemAsync(token));

        Assert.Equal(CaErrorKind.CaNotReady, refused.Kind);
        Assert.Equal(("foo", "sleep"), tokens.Validate(token));
    }

    /// <summary>A store that is down: every write fails.</summary>
    private sealed class UnreachableLedger : IRedeemedTokenLedger
    {
        public Task<bool> TryRedeemAsync(string tokenId, DateTimeOffset expiresAt, CancellationToken cancellationToken) =>
            throw new IOException("the store cannot be reached");
    }

    [Fact]
    public async Task A_redeemed_token_once_expired_is_refused_as_expired()
    {
        var tokens = Authority();
        var (token, _) = tokens.Issue("foo", "sleep", TimeSpan.FromMinutes(5));
        await tokens.RedeemAsync(token);
        _clock.Advance(TimeSpan.FromMinutes(6));

        Assert.Contains("expired", (await Assert.ThrowsAsync<CaException>(() => tokens.RedeemAsync(token))).Message);
    }

    [Fact]
    public void An_expired_token_is_refused()
    {
        var tokens = Authority();
        var (token, _) = tokens.Issue("foo", "sleep", TimeSpan.FromMinutes(5));
        _clock.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(("foo", "sleep"), tokens.Validate(token));

        _clock.Advance(TimeSpan.FromMinutes(1));
        var error = Assert.Throws<CaException>(() => tokens.Validate(token));
        Assert.Equal(CaErrorKind.NotAuthenticated, error.Kind);
        Assert.Contains("expired", error.Message);
    }

    [Fact]
    public void A_token_whose_payload_was_edited_to_another_service_account_is_refused()
    {
        var tokens = Authority();
        var (token, _) = tokens.Issue("foo", "sleep");
        var parts = token.Split('.');
        var json = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"sleep\"", "\"httpbin\"");
        var tampered = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json))}.{parts[2]}";

        var error = Assert.Throws<CaException>(() => tokens.Validate(tampered));
        Assert.Equal(CaErrorKind.NotAuthenticated, error.Kind);
        Assert.Contains("signature", error.Message);
    }

    [Fact]
    public void A_token_with_a_damaged_signature_is_refused()
    {
        var tokens = Authority();
        var (token, _) = tokens.Issue("foo", "sleep");
        var damaged = token[..^2] + (token[^2] == 'A' ? "B" : "A") + token[^1];
        Assert.Equal(CaErrorKind.NotAuthenticated, Assert.Throws<CaException>(() => tokens.Validate(damaged)).Kind);
    }

    [Fact]
    public void A_token_from_another_control_plane_is_refused()
    {
        using var otherState = new TempDirectory();
        var (foreign, _) = BootstrapTokenAuthority.LoadOrCreate(otherState.Path, _clock).Issue("foo", "sleep");

        var error = Assert.Throws<CaException>(() => Authority().Validate(foreign));
        Assert.Equal(CaErrorKind.NotAuthenticated, error.Kind);
        Assert.Contains("another control plane", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bearer abc")]
    [InlineData("mwb1.")]
    [InlineData("mwb1.e30.")]
    [InlineData("mwb1.!!!.AAAA")]
    public void Malformed_tokens_are_refused_without_echoing_them(string token)
    {
        var error = Assert.Throws<CaException>(() => Authority().Validate(token));
        Assert.Equal(CaErrorKind.NotAuthenticated, error.Kind);
        if (token.Length > 5) Assert.DoesNotContain(token, error.Message);
    }

    [Theory]
    [InlineData("Foo", "sleep")]
    [InlineData("foo", "a/b")]
    [InlineData("", "sleep")]
    public void Tokens_are_only_issued_for_valid_names(string ns, string sa) =>
        Assert.Throws<ArgumentException>(() => Authority().Issue(ns, sa));

    [Fact]
    public void A_lifetime_beyond_a_day_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Authority().Issue("foo", "sleep", TimeSpan.FromHours(25)));

    [Fact]
    public void A_sleep_token_obtains_a_sleep_certificate_even_when_its_csr_asks_for_httpbin()
    {
        var ca = Ca.LoadOrCreateSelfSigned(_state.Path, new CaOptions { Time = _clock });
        var tokens = Authority();
        var (token, _) = tokens.Issue("foo", "sleep");
        var (key, csr) = CsrFactory.Create(new SpiffeId("cluster.local", "foo", "httpbin"));

        // What the control plane's CSR endpoint does: the identity comes from the token, never from the CSR.
        var identity = tokens.ValidateIdentity(token, ca.TrustDomain);
        var credentials = WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, identity), ca.TrustBundle);

        Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", credentials.Identity.Uri);
        Assert.Equal(["spiffe://cluster.local/ns/foo/sa/sleep"], SubjectAltNames.GetUris(credentials.Leaf));
    }
}
