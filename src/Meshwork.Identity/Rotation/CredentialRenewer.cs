using System.Diagnostics.Metrics;
using System.Security.Cryptography;

namespace Meshwork.Identity;

/// <summary>
/// Keeps a workload's credentials fresh: a new key and CSR when a fraction of the lifetime has passed,
/// retries with exponential backoff while the CA cannot be reached, and an atomic swap of the whole
/// <see cref="WorkloadCredentials"/> once the new chain has been checked. Until then the current
/// credentials stay in place, so a CA outage shorter than the remaining lifetime is invisible to traffic.
/// Knows nothing about HTTP: <c>requestCertificate</c> sends a CSR (PEM) and returns the chain, leaf first.
/// </summary>
public sealed class CredentialRenewer : IAsyncDisposable
{
    public const string MeterName = "Meshwork.Identity";
    public const string ExpiryGaugeName = "meshwork_cert_expiry_seconds";
    public const string FailureCounterName = "meshwork_cert_renewal_failures_total";

    private readonly SpiffeId _identity;
    private readonly Func<string, CancellationToken, Task<IReadOnlyList<string>>> _requestCertificate;
    private readonly CredentialRenewerOptions _options;
    private readonly Random _random;
    private readonly SemaphoreSlim _renewLock = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<WorkloadCredentials> _firstCredentials = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Meter _meter;
    private readonly Counter<long> _failureCounter;
    private readonly KeyValuePair<string, object?> _identityTag;
    private WorkloadCredentials? _current;
    private long _failures;
    private Task? _loop;
    private int _disposed;

    public CredentialRenewer(
        SpiffeId identity,
        Func<string, CancellationToken, Task<IReadOnlyList<string>>> requestCertificate,
        CredentialRenewerOptions? options = null,
        WorkloadCredentials? initial = null)
    {
        _identity = identity;
        _requestCertificate = requestCertificate;
        _options = options ?? new CredentialRenewerOptions();
        _options.Validate();
        _random = _options.Random ?? Random.Shared;
        if (initial is not null)
        {
            if (initial.Identity != identity)
                throw new ArgumentException($"the initial credentials are for {initial.Identity}, not {identity}", nameof(initial));
            _current = initial;
            _firstCredentials.TrySetResult(initial);
        }

        _identityTag = new("identity", identity.Uri);
        _meter = new Meter(MeterName);
        _meter.CreateObservableGauge(ExpiryGaugeName, ObserveExpiry, unit: "s",
            description: "Seconds until the workload certificate expires (negative once expired)");
        _failureCounter = _meter.CreateCounter<long>(FailureCounterName, unit: "{failure}",
            description: "Certificate renewals that failed (CA unreachable, refused, or returned an unusable chain)");
    }

    /// <summary>The credentials in force, or null before the first certificate arrives. Read once per handshake.</summary>
    public WorkloadCredentials? Current => Volatile.Read(ref _current);

    /// <summary>Raised after <see cref="Current"/> has been replaced; handlers must not throw.</summary>
    public event EventHandler<WorkloadCredentials>? CredentialsChanged;

    /// <summary>Raised after a failed attempt (the host logs it; this library has no logger); handlers must not throw.</summary>
    public event EventHandler<Exception>? RenewalFailed;

    /// <summary>Seconds until the current certificate expires; negative once it has; 0 when there is none yet.</summary>
    public double SecondsUntilExpiry => Current is { } c ? (c.NotAfter - _options.Time.GetUtcNow()).TotalSeconds : 0;

    /// <summary>Total failed renewal attempts since start.</summary>
    public long RenewalFailures => Interlocked.Read(ref _failures);

    /// <summary>Why the last attempt failed, or null after a success.</summary>
    public string? LastError { get; private set; }

    /// <summary>When the background loop will next ask the CA (null when not scheduled).</summary>
    public DateTimeOffset? NextAttemptAt { get; private set; }

    /// <summary>
    /// Completes with the first credentials (at once when initial credentials were given), after the
    /// <see cref="CredentialsChanged"/> handlers for them have run.
    /// </summary>
    public Task<WorkloadCredentials> WaitForCredentialsAsync(CancellationToken cancellationToken = default) =>
        _firstCredentials.Task.WaitAsync(cancellationToken);

    /// <summary>Starts the background loop: fetch now if there are no usable credentials, then renew on schedule.</summary>
    public void Start()
    {
        if (_loop is not null) throw new InvalidOperationException("the renewer is already running");
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>
    /// One renewal attempt now: new key, CSR, request, checks, swap. Throws when it fails (and counts the
    /// failure); the current credentials are left untouched in that case.
    /// </summary>
    public async Task<WorkloadCredentials> RenewAsync(CancellationToken cancellationToken = default)
    {
        await _renewLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            WorkloadCredentials fresh;
            try
            {
                fresh = await ObtainAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                Interlocked.Increment(ref _failures);
                _failureCounter.Add(1, _identityTag);
                LastError = e.Message;
                RenewalFailed?.Invoke(this, e);
                throw;
            }
            LastError = null;
            Volatile.Write(ref _current, fresh);
            // Handlers first: whoever waits for the first credentials (a proxy about to open its stream
            // with them) must find what the handlers installed, not race them.
            CredentialsChanged?.Invoke(this, fresh);
            _firstCredentials.TrySetResult(fresh);
            return fresh;
        }
        finally
        {
            _renewLock.Release();
        }
    }

    /// <summary>When credentials issued for <paramref name="credentials"/>'s lifetime should be renewed, jitter included.</summary>
    public DateTimeOffset RenewalTime(WorkloadCredentials credentials)
    {
        double jitter;
        lock (_random) jitter = (_random.NextDouble() * 2 - 1) * _options.Jitter;
        var fraction = _options.RenewAfterFraction + jitter;
        return credentials.NotBefore + credentials.Lifetime * fraction;
    }

    private async Task<WorkloadCredentials> ObtainAsync(CancellationToken cancellationToken)
    {
        using var key = CsrFactory.CreateKey(_options.KeyAlgorithm);
        var csr = CsrFactory.CreateCsr(key, _identity);
        var chain = await _requestCertificate(csr, cancellationToken).ConfigureAwait(false);
        if (chain.Count == 0) throw new CryptographicException("the CA returned an empty certificate chain");

        var bundle = _options.TrustBundle?.Invoke() ?? TrustBundle.FromPem(chain[^1]);
        var fresh = WorkloadCredentials.FromSignedChain(key, chain, bundle);
        if (fresh.Identity != _identity)
            throw new CryptographicException($"the CA issued a certificate for {fresh.Identity}, but {_identity} was requested");
        if (!bundle.Verify(fresh.Leaf, fresh.Intermediates, _options.Time.GetUtcNow(), out var error))
            throw new CryptographicException($"the CA returned a certificate that does not verify: {error}");
        return fresh;
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        WorkloadCredentials? scheduledFor = null;
        var renewAt = DateTimeOffset.MinValue;
        var failuresInARow = 0;
        var retryAt = DateTimeOffset.MinValue;
        while (!stopping.IsCancellationRequested)
        {
            var current = Current;
            DateTimeOffset due;
            if (failuresInARow > 0) due = retryAt;
            else if (current is null) due = _options.Time.GetUtcNow();
            else
            {
                // Jitter is drawn once per certificate, not on every turn of the loop.
                if (!ReferenceEquals(current, scheduledFor)) (scheduledFor, renewAt) = (current, RenewalTime(current));
                due = renewAt;
            }
            NextAttemptAt = due;
            try
            {
                var wait = due - _options.Time.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, _options.Time, stopping).ConfigureAwait(false);
                // Someone renewed while we slept (RenewAsync called directly): plan from the new certificate.
                if (failuresInARow == 0 && !ReferenceEquals(Current, current)) continue;
                await RenewAsync(stopping).ConfigureAwait(false);
                failuresInARow = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception)
            {
                // Counted and recorded by RenewAsync. Keep serving with the current credentials, back off, retry.
                failuresInARow++;
                retryAt = _options.Time.GetUtcNow() + RetryDelay(failuresInARow);
            }
        }
        NextAttemptAt = null;
    }

    /// <summary>Initial delay doubled per failure in a row, capped.</summary>
    internal TimeSpan RetryDelay(int failuresInARow)
    {
        var exponent = Math.Min(failuresInARow - 1, 30);
        var delay = _options.InitialRetryDelay * Math.Pow(2, exponent);
        return delay < _options.MaxRetryDelay ? delay : _options.MaxRetryDelay;
    }

    private IEnumerable<Measurement<double>> ObserveExpiry()
    {
        if (Current is null) yield break;
        yield return new Measurement<double>(SecondsUntilExpiry, _identityTag);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        _stopping.Dispose();
        _renewLock.Dispose();
        _meter.Dispose();
    }
}
