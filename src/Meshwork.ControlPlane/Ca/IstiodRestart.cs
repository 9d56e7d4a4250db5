using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Push;
using Meshwork.Model.Resources;
using Meshwork.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Ca;

/// <summary>
/// istiod's restart (a new pod template of its Deployment, <see cref="ControlPlaneDeployment"/>): the control
/// plane takes up its CA again from <see cref="CaSource"/>, as a new istiod pod would when it starts, and
/// adopts it in place rather than being replaced by a new process: <c>meshwork server</c> has nobody to start
/// it again, and the proxies keep their streams and get the new trust bundle pushed. A CA that cannot load
/// refuses the restart and the current one keeps signing (fail closed: nothing lost). The replica that takes
/// the write restarts before answering; every replica follows the Deployment through the store.
/// </summary>
public sealed partial class IstiodRestart(
    ControlPlaneOptions options,
    CaOptions caOptions,
    CertificateAuthority.CertificateAuthority ca,
    IResourceStore store,
    IMeshStateSource mesh,
    SnapshotPusher pusher,
    ILogger<IstiodRestart> logger) : BackgroundService
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    // The pod template the current CA was taken up for: a template seen again restarts nothing.
    private PodTemplate? _running;

    /// <summary>Records the template of istiod's Deployment as of the start, whose CA the control plane loaded then.</summary>
    public void Started(Deployment istiod)
    {
        ArgumentNullException.ThrowIfNull(istiod);
        _running = istiod.Spec.Template;
    }

    /// <summary>Why a restart now could not take up a CA, or null when it could (nothing is adopted).</summary>
    public async Task<string?> CheckAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return (await CaSource.LoadAsync(options, caOptions, store, cancellationToken).ConfigureAwait(false)).Problem;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Restarts onto the CA of <see cref="CaSource"/> unless <paramref name="istiod"/>'s template already runs; returns why not, when it cannot.</summary>
    public async Task<string?> ApplyAsync(Deployment istiod, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(istiod);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (istiod.Spec.Template == _running) return null;
            // Tried once per template, as a pod that fails to start is not started again until the next change.
            _running = istiod.Spec.Template;
            var load = await CaSource.LoadAsync(options, caOptions, store, cancellationToken).ConfigureAwait(false);
            if (load.Ca is not { } loaded)
            {
                LogRefused(load.Problem!);
                return load.Problem;
            }
            if (ca.Adopt(loaded)) CaSource.WriteRootCertificates(options.StateDirectory, ca.TrustBundle);
            LogRestarted(ca.SigningCertificate.Subject, ca.TrustBundle.Roots.Length);
            // Every proxy gets the new trust bundle now; their certificates are renewed by the new CA as they come due.
            pusher.PushAll();
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Follows istiod's Deployment as the store changes, for the writes another replica took.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var known = mesh.Revision;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await mesh.WaitForChangeAsync(known, stoppingToken).ConfigureAwait(false);
                known = mesh.Revision;
                if (mesh.Current.Deployments.FirstOrDefault(ControlPlaneDeployment.Is) is { } istiod) await ApplyAsync(istiod, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public override void Dispose()
    {
        _gate.Dispose();
        base.Dispose();
    }

    [LoggerMessage(EventId = 1221, Level = LogLevel.Information, Message = "istiod restarted: signing as \"{Signer}\", {Roots} root(s) in the trust bundle")]
    private partial void LogRestarted(string signer, int roots);

    [LoggerMessage(EventId = 1222, Level = LogLevel.Warning, Message = "istiod restart refused, the current CA keeps signing: {Reason}")]
    private partial void LogRefused(string reason);
}
