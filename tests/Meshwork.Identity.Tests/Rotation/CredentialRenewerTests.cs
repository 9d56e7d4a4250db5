using System.Diagnostics.Metrics;
using Meshwork.CertificateAuthority;
using Meshwork.Testing;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Identity.Tests.Rotation;

public sealed class CredentialRenewerTests : IAsyncDisposable
{
    private static readonly SpiffeId Sleep = new("cluster.local", "foo", "sleep");
    private readonly FakeTimeProvider _clock = new();
    private readonly Ca _ca;
    private readonly List<CredentialRenewer> _renewers = [];
    private volatile bool _caDown;
    private int _calls;

    public CredentialRenewerTests() => _ca = TestCertificateAuthority.Create(time: _clock).ToCertificateAuthority();

    public async ValueTask DisposeAsync()
    {
        foreach (var renewer in _renewers) await renewer.DisposeAsync();
    }

    /// <summary>The CSR endpoint as the proxy sees it: signs with the real CA, or fails as an unreachable server does.</summary>
    private Task<IReadOnlyList<string>> RequestCertificate(string csr, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (_caDown) throw new HttpRequestException("Connection refused (127.0.0.1:15012)");
        return Task.FromResult<IReadOnlyList<string>>(_ca.Sign(csr, Sleep));
    }

    private CredentialRenewer NewRenewer(CredentialRenewerOptions? options = null, Func<string, CancellationToken, Task<IReadOnlyList<string>>>? request = null)
    {
        var renewer = new CredentialRenewer(Sleep, request ?? RequestCertificate, options ?? new CredentialRenewerOptions { Time = _clock, Jitter = 0 });
        _renewers.Add(renewer);
        return renewer;
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>Waits until the background loop sleeps on the fake clock until <paramref name="due"/>.</summary>
    private async Task WaitForSleepUntil(CredentialRenewer renewer, DateTimeOffset due) =>
        await WaitUntil(() => renewer.NextAttemptAt == due && _clock.PendingTimers > 0, $"the renewer sleeps until {due:O} (now planned {renewer.NextAttemptAt:O})");

    [Fact]
    public async Task Renews_when_half_the_lifetime_has_passed_and_not_before()
    {
        var renewer = NewRenewer();
        var changes = new List<WorkloadCredentials>();
        renewer.CredentialsChanged += (_, c) => { lock (changes) changes.Add(c); };
        renewer.Start();
        var first = await renewer.WaitForCredentialsAsync();
        var renewAt = first.NotBefore + first.Lifetime / 2;
        await WaitForSleepUntil(renewer, renewAt);

        _clock.AdvanceTo(renewAt - TimeSpan.FromSeconds(1));
        Assert.Equal(1, _calls);
        Assert.Same(first, renewer.Current);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => renewer.Current != first, "the certificate is renewed");
        var second = renewer.Current!;
        Assert.Equal(2, _calls);
        Assert.True(second.NotAfter > first.NotAfter);
        Assert.NotEqual(first.Leaf.PublicKey.EncodedKeyValue.RawData, second.Leaf.PublicKey.EncodedKeyValue.RawData);
        lock (changes) Assert.Equal([first, second], changes);
        await WaitForSleepUntil(renewer, second.NotBefore + second.Lifetime / 2);
    }

    [Fact]
    public async Task Renewal_fraction_is_configurable()
    {
        var renewer = NewRenewer(new CredentialRenewerOptions { Time = _clock, Jitter = 0, RenewAfterFraction = 0.8 });
        renewer.Start();
        var first = await renewer.WaitForCredentialsAsync();
        var renewAt = first.NotBefore + first.Lifetime * 0.8;
        await WaitForSleepUntil(renewer, renewAt);

        _clock.AdvanceTo(renewAt);
        await WaitUntil(() => renewer.Current != first, "the certificate is renewed at 80 %");
    }

    [Fact]
    public async Task While_the_ca_is_down_failures_are_retried_with_doubling_delays_counted_and_the_old_certificate_kept()
    {
        using var failures = new MetricRecorder(CredentialRenewer.FailureCounterName);
        var renewer = NewRenewer(new CredentialRenewerOptions
        {
            Time = _clock, Jitter = 0, InitialRetryDelay = TimeSpan.FromSeconds(1), MaxRetryDelay = TimeSpan.FromSeconds(4),
        });
        var reported = new List<string>();
        renewer.RenewalFailed += (_, e) => { lock (reported) reported.Add(e.Message); };
        renewer.Start();
        var first = await renewer.WaitForCredentialsAsync();
        var renewAt = first.NotBefore + first.Lifetime / 2;
        await WaitForSleepUntil(renewer, renewAt);

        _caDown = true;
        _clock.AdvanceTo(renewAt);
        foreach (var (failures_, delay) in new[] { (1, 1), (2, 2), (3, 4), (4, 4) })
        {
            await WaitUntil(() => renewer.RenewalFailures == failures_, $"{failures_} failures");
            await WaitForSleepUntil(renewer, _clock.GetUtcNow() + TimeSpan.FromSeconds(delay));
            Assert.Same(first, renewer.Current);
            Assert.Contains("Connection refused", renewer.LastError);
            _clock.Advance(TimeSpan.FromSeconds(delay));
        }
        await WaitUntil(() => renewer.RenewalFailures == 5, "5 failures");
        Assert.Equal(5, failures.Sum);
        lock (reported) Assert.All(reported, m => Assert.Contains("Connection refused", m));

        _caDown = false;
        var retryAt = renewer.NextAttemptAt!.Value;
        await WaitForSleepUntil(renewer, retryAt);
        _clock.AdvanceTo(retryAt);
        await WaitUntil(() => renewer.Current != first, "the certificate is renewed once the CA is back");
        Assert.Equal(5, renewer.RenewalFailures);
        Assert.Null(renewer.LastError);
    }

    [Fact]
    public async Task Credentials_stay_in_place_until_expiry_and_are_replaced_as_soon_as_the_ca_answers()
    {
        var renewer = NewRenewer(new CredentialRenewerOptions
        {
            Time = _clock, Jitter = 0, InitialRetryDelay = TimeSpan.FromMinutes(10), MaxRetryDelay = TimeSpan.FromHours(1),
        });
        renewer.Start();
        var first = await renewer.WaitForCredentialsAsync();
        _caDown = true;

        // Walk past expiry one retry at a time.
        while (_clock.GetUtcNow() < first.NotAfter + TimeSpan.FromMinutes(30))
        {
            await WaitUntil(() => _clock.PendingTimers > 0 && renewer.NextAttemptAt is not null, "the renewer waits");
            var failuresBefore = renewer.RenewalFailures;
            _clock.AdvanceTo(renewer.NextAttemptAt!.Value);
            await WaitUntil(() => renewer.RenewalFailures > failuresBefore && renewer.NextAttemptAt > _clock.GetUtcNow(), "the attempt fails");
            Assert.Same(first, renewer.Current);
        }
        Assert.True(renewer.SecondsUntilExpiry < 0, "an expired certificate reports negative seconds until expiry");
        Assert.True(renewer.NextAttemptAt - _clock.GetUtcNow() <= TimeSpan.FromHours(1), "retries stay within the maximum delay");

        _caDown = false;
        _clock.AdvanceTo(renewer.NextAttemptAt!.Value);
        await WaitUntil(() => renewer.Current != first, "new credentials arrive");
        Assert.True(renewer.SecondsUntilExpiry > 0);
    }

    [Fact]
    public async Task A_proxy_that_starts_while_the_ca_is_down_gets_credentials_when_it_comes_up()
    {
        _caDown = true;
        var renewer = NewRenewer();
        renewer.Start();
        var credentials = renewer.WaitForCredentialsAsync();
        await WaitUntil(() => renewer.RenewalFailures == 1 && _clock.PendingTimers > 0, "the first attempt fails");
        Assert.Null(renewer.Current);
        Assert.Equal(0, renewer.SecondsUntilExpiry);

        _caDown = false;
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Sleep, (await credentials.WaitAsync(TimeSpan.FromSeconds(15))).Identity);
    }

    [Fact]
    public async Task Whoever_waits_for_the_first_credentials_finds_what_the_handlers_installed()
    {
        // A proxy waits for its first certificate and then opens its stream with what the handler put
        // in place; released before the handler ran, it connected without a client certificate.
        var renewer = NewRenewer();
        WorkloadCredentials? installed = null;
        var waiterReleasedBeforeHandler = true;
        renewer.CredentialsChanged += (_, c) =>
        {
            waiterReleasedBeforeHandler = renewer.WaitForCredentialsAsync().IsCompleted;
            installed = c;
        };
        renewer.Start();
        var first = await renewer.WaitForCredentialsAsync().WaitAsync(TimeSpan.FromSeconds(15));
        Assert.False(waiterReleasedBeforeHandler);
        Assert.Same(first, installed);
    }

    [Fact]
    public async Task A_certificate_for_another_identity_is_refused_and_counted()
    {
        var renewer = NewRenewer(request: (csr, _) => Task.FromResult<IReadOnlyList<string>>(_ca.Sign(csr, new SpiffeId("cluster.local", "foo", "httpbin"))));
        var error = await Assert.ThrowsAnyAsync<Exception>(() => renewer.RenewAsync());
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/httpbin", error.Message);
        Assert.Null(renewer.Current);
        Assert.Equal(1, renewer.RenewalFailures);
    }

    [Fact]
    public async Task A_chain_that_does_not_reach_the_trust_bundle_is_refused()
    {
        var foreign = TestCertificateAuthority.Create(time: _clock, name: "Foreign").ToCertificateAuthority();
        var ours = TestCertificateAuthority.Create(time: _clock, name: "Ours");
        var renewer = NewRenewer(
            new CredentialRenewerOptions { Time = _clock, TrustBundle = () => ours.TrustBundle },
            (csr, _) => Task.FromResult<IReadOnlyList<string>>(foreign.Sign(csr, Sleep)));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => renewer.RenewAsync());
        Assert.Contains("not issued by a CA in the trust bundle", error.Message);
        Assert.Equal(1, renewer.RenewalFailures);
    }

    [Fact]
    public async Task Expiry_gauge_reports_seconds_left_for_the_identity()
    {
        using var gauge = new MetricRecorder(CredentialRenewer.ExpiryGaugeName);
        var renewer = NewRenewer();
        await renewer.RenewAsync();
        _clock.Advance(TimeSpan.FromHours(1));

        gauge.Collect();

        var expected = (renewer.Current!.NotAfter - _clock.GetUtcNow()).TotalSeconds;
        Assert.Equal(23 * 3600, expected);
        Assert.Equal(expected, gauge.Last);
        Assert.Equal(Sleep.Uri, gauge.LastTags["identity"]);
        Assert.Equal(expected, renewer.SecondsUntilExpiry);
    }

    [Fact]
    public void Jitter_spreads_renewals_around_the_fraction()
    {
        var renewer = NewRenewer(new CredentialRenewerOptions { Time = _clock, Jitter = 0.01, Random = new Random(7) });
        var credentials = TestCertificateAuthority.Create(time: _clock).IssueWorkload("foo", "sleep");
        var fractions = Enumerable.Range(0, 200)
            .Select(_ => (renewer.RenewalTime(credentials) - credentials.NotBefore) / credentials.Lifetime)
            .ToList();

        Assert.All(fractions, f => Assert.InRange(f, 0.49, 0.51));
        Assert.True(fractions.Distinct().Count() > 100, "renewal times are spread, not identical");
    }

    [Fact]
    public async Task Valid_initial_credentials_are_used_without_calling_the_ca()
    {
        var initial = WorkloadCredentials.FromSignedChain(CsrFactory.Create(Sleep) is var (key, csr) ? key : null!, _ca.Sign(csr, Sleep), _ca.TrustBundle);
        var renewer = new CredentialRenewer(Sleep, RequestCertificate, new CredentialRenewerOptions { Time = _clock, Jitter = 0 }, initial);
        _renewers.Add(renewer);
        renewer.Start();

        await WaitForSleepUntil(renewer, initial.NotBefore + initial.Lifetime / 2);
        Assert.Equal(0, _calls);
        Assert.Same(initial, await renewer.WaitForCredentialsAsync());
    }

    [Theory]
    [InlineData(0.0, 0.01)]
    [InlineData(1.0, 0.01)]
    [InlineData(0.5, 0.6)]
    public void Impossible_schedules_are_refused(double fraction, double jitter) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CredentialRenewer(Sleep, RequestCertificate,
            new CredentialRenewerOptions { RenewAfterFraction = fraction, Jitter = jitter }));

    /// <summary>Listens to one instrument of the Meshwork.Identity meter.</summary>
    private sealed class MetricRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly object _gate = new();
        private double _sum;
        private double _last;
        private Dictionary<string, object?> _lastTags = [];

        public MetricRecorder(string instrument)
        {
            _listener.InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == CredentialRenewer.MeterName && i.Name == instrument) l.EnableMeasurementEvents(i);
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Record(value, tags));
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Record(value, tags));
            _listener.Start();
        }

        private void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags) copy[tag.Key] = tag.Value;
            lock (_gate)
            {
                _sum += value;
                _last = value;
                _lastTags = copy;
            }
        }

        public double Sum { get { lock (_gate) return _sum; } }
        public double Last { get { lock (_gate) return _last; } }
        public Dictionary<string, object?> LastTags { get { lock (_gate) return _lastTags; } }

        public void Collect() => _listener.RecordObservableInstruments();

        public void Dispose() => _listener.Dispose();
    }
}
