namespace Meshwork.CertificateAuthority;

/// <summary>
/// Checks the self-signed root every <see cref="CaOptions.RootRotationCheckInterval"/> and rotates it when it
/// is due (see <see cref="CertificateAuthority.RotateSelfSignedRootIfDue"/>). Does nothing for a plugged-in CA.
/// </summary>
public sealed class RootRotator : IAsyncDisposable
{
    private readonly CertificateAuthority _ca;
    private readonly CaOptions _options;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _loop;

    public RootRotator(CertificateAuthority ca, CaOptions options)
    {
        _ca = ca;
        _options = options;
        _loop = Task.Run(() => RunAsync(_stopping.Token));
    }

    /// <summary>Why the last check failed (files not writable, …), or null.</summary>
    public string? LastError { get; private set; }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                _ca.RotateSelfSignedRootIfDue();
                LastError = null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CaException or System.Security.Cryptography.CryptographicException)
            {
                // Keep signing with the current root; try again at the next check.
                LastError = e.Message;
            }
            try
            {
                await Task.Delay(_options.RootRotationCheckInterval, _options.Time, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stopping.Dispose();
    }
}
