using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// The bootstrap token of a pod's proxy, in its pod directory (mode 0600, owned by the proxy's user). Tokens are
/// one-time, so the runtime writes a fresh one for every start of the proxy and again when the proxy holds no valid
/// certificate and its token is spent: its certificate expired while the control plane was away (the token it
/// holds predates that expiry), or the token has been there a while without a certificate coming of it.
/// </summary>
internal sealed class ProxyBootstrapToken(PodPlan plan, Func<CancellationToken, Task<string>> mint, Action<string> log)
{
    /// <summary>
    /// How long a token may sit beside a proxy without a valid certificate before it counts as spent: twice the
    /// longest pause between a proxy's certificate requests (30 s), so a token is not replaced under a proxy about to use it.
    /// </summary>
    public static readonly TimeSpan SpentAfter = TimeSpan.FromSeconds(60);

    /// <summary>Least time between two refreshes attempted (a control plane still away refuses them quickly, and often).</summary>
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(3);

    private string CertificateFile => Path.Combine(plan.CertDirectory, "cert-chain.pem");
    private DateTime _certificateWrittenAt;
    private DateTimeOffset? _certificateNotAfter;
    private DateTimeOffset _lastAttempt = DateTimeOffset.MinValue;
    private bool _refusalLogged;

    /// <summary>Asks the control plane for a token and writes it; before every start of the proxy.</summary>
    public async Task WriteFreshAsync(CancellationToken cancellationToken)
    {
        var token = await mint(cancellationToken).ConfigureAwait(false);
        PrivateFile.Write(plan.TokenFile, token, plan.ProxyUid);
    }

    /// <summary>While the proxy runs: writes a fresh token when its certificate is gone or expired and its token is spent.</summary>
    public async Task RefreshIfSpentAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var notAfter = CertificateNotAfter();
        if (notAfter > now || now - _lastAttempt < RetryEvery) return;
        var tokenWrittenAt = File.Exists(plan.TokenFile) ? new DateTimeOffset(File.GetLastWriteTimeUtc(plan.TokenFile)) : DateTimeOffset.MinValue;
        var spent = (notAfter is { } expiredAt && tokenWrittenAt < expiredAt) || now - tokenWrittenAt > SpentAfter;
        if (!spent) return;
        _lastAttempt = now;
        try
        {
            await WriteFreshAsync(cancellationToken).ConfigureAwait(false);
            _refusalLogged = false;
            log(notAfter is { } at
                ? $"pod {plan.Namespace}/{plan.Name}: the proxy's certificate expired at {at:u}; wrote a fresh bootstrap token (tokens are one-time)"
                : $"pod {plan.Namespace}/{plan.Name}: the proxy has no certificate {SpentAfter.TotalSeconds:0} s after its token was written; wrote a fresh bootstrap token");
        }
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // Whatever the failure (control plane away, refusing, a file that cannot be written), the pod's probe
            // loop that calls this goes on; tried again in a few seconds, said once.
            if (!_refusalLogged) log($"pod {plan.Namespace}/{plan.Name}: the proxy needs a fresh bootstrap token; the control plane cannot give one yet: {e.Message}");
            _refusalLogged = true;
        }
    }

    /// <summary>The expiry of the certificate the proxy wrote last, read again only when the file changed; null when there is none.</summary>
    private DateTimeOffset? CertificateNotAfter()
    {
        try
        {
            var writtenAt = File.GetLastWriteTimeUtc(CertificateFile);
            if (!File.Exists(CertificateFile)) return _certificateNotAfter = null;
            if (writtenAt != _certificateWrittenAt)
            {
                using var leaf = X509Certificate2.CreateFromPem(File.ReadAllText(CertificateFile));
                _certificateNotAfter = new DateTimeOffset(leaf.NotAfter.ToUniversalTime());
                _certificateWrittenAt = writtenAt;
            }
            return _certificateNotAfter;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            // Being rewritten by the proxy: read on the next pass.
            return _certificateNotAfter;
        }
    }
}
