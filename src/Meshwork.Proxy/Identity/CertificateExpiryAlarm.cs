using Meshwork.Identity;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Identity;

/// <summary>
/// Says so, once, when the workload certificate in force reaches its expiry without a successor (the control
/// plane away longer than a certificate's life): peers refuse an expired certificate, so the operator must learn
/// why mTLS fails while the proxy keeps its last snapshot. The gauge meshwork_cert_expiry_seconds turns negative
/// at the same moment.
/// </summary>
internal sealed class CertificateExpiryAlarm(TimeProvider time, ILogger logger) : IDisposable
{
    private readonly object _gate = new();
    private ITimer? _timer;

    /// <summary>Arms the alarm for <paramref name="credentials"/>, the certificate now in force (replacing the previous one's alarm).</summary>
    public void Watch(WorkloadCredentials credentials)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        var due = credentials.NotAfter - time.GetUtcNow();
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = time.CreateTimer(_ => ProxyLog.CertificateExpired(logger, credentials.Identity.Uri, credentials.Leaf.SerialNumber, credentials.NotAfter),
                null, due > TimeSpan.Zero ? due : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }
}
