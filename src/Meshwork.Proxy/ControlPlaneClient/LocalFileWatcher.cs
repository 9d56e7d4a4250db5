using Meshwork.Identity;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.ControlPlaneClient;

/// <summary>
/// Without a control plane: re-reads the snapshot file and the cert dir when they change, so a
/// rotated certificate or an edited snapshot applies to new connections. A bad file is logged and
/// the last good state kept.
/// </summary>
internal sealed class LocalFileWatcher(ProxyOptions options, ProxyState state, ILogger logger)
{
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var snapshotStamp = Stamp(options.SnapshotFile);
        var certPath = options.CertDirectory is null ? null : Path.Combine(options.CertDirectory, CertificateFiles.CertChain);
        var certStamp = Stamp(certPath);
        using var timer = new PeriodicTimer(options.FilePollInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var s = Stamp(options.SnapshotFile);
                if (s != snapshotStamp && options.SnapshotFile is not null)
                {
                    snapshotStamp = s;
                    try
                    {
                        var snapshot = ProxyHost.ReadSnapshotFile(options.SnapshotFile);
                        if (state.TryApply(snapshot, out var error)) ProxyLog.SnapshotApplied(logger, snapshot.Version, options.SnapshotFile);
                        else ProxyLog.SnapshotRejected(logger, snapshot.Version, options.SnapshotFile, error!);
                    }
                    catch (ProxyStartupException e) { ProxyLog.ReloadFailed(logger, options.SnapshotFile, e.Message); }
                }
                var c = Stamp(certPath);
                if (c != certStamp && options.CertDirectory is not null && options.Role != ProxyProtocol.Snapshots.ProxyRole.Network)
                {
                    certStamp = c;
                    try
                    {
                        var credentials = WorkloadCredentials.ReadFrom(options.CertDirectory);
                        state.SetCredentials(credentials);
                        ProxyLog.CertificateLoaded(logger, credentials.Identity.Uri, credentials.Leaf.SerialNumber, credentials.NotAfter, options.CertDirectory);
                    }
                    catch (Exception e) when (e is IOException or System.Security.Cryptography.CryptographicException or FormatException or InvalidOperationException or ArgumentException)
                    {
                        ProxyLog.ReloadFailed(logger, options.CertDirectory, e.Message);
                    }
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    private static DateTime? Stamp(string? path)
    {
        if (path is null) return null;
        try { return File.Exists(path) ? File.GetLastWriteTimeUtc(path) : null; }
        catch (IOException) { return null; }
    }
}
