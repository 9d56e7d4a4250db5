using Meshwork.Api;
using Meshwork.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>A started control plane. Disposing it stops it cleanly and removes server.json.</summary>
public sealed class RunningControlPlane : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerInfo _info;
    private readonly IResourceStore _store;
    private readonly StoreMeshStateSource _mesh;
    private int _stopped;

    internal RunningControlPlane(WebApplication app, Uri url, StateDirectory state, ServerInfo info, IResourceStore store, StoreMeshStateSource mesh)
    {
        _app = app;
        Url = url;
        StateDirectory = state;
        _info = info;
        _store = store;
        _mesh = mesh;
    }

    /// <summary>The URL clients use, e.g. https://127.0.0.1:15012 (the real port when started with port 0).</summary>
    public Uri Url { get; }

    public StateDirectory StateDirectory { get; }

    public IServiceProvider Services => _app.Services;

    public IResourceStore Store => _store;

    public IMeshStateSource Mesh => _mesh;

    /// <summary>Signalled when the host begins to stop (SIGTERM, Ctrl+C, or <see cref="StopAsync"/>).</summary>
    public CancellationToken Stopping => _app.Lifetime.ApplicationStopping;

    /// <summary>Completes when the host shuts down (Ctrl+C / SIGTERM, or <see cref="StopAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        try
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Only remove the record that is ours: a newer control plane may have taken over.
            if (ServerInfo.Read(StateDirectory) == _info)
            {
                try { File.Delete(StateDirectory.ServerInfoFile); } catch (IOException) { }
            }
            await _mesh.DisposeAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
            await _store.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
