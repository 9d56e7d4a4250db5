using Meshwork.Runtime.Pods;

namespace Meshwork.Runtime;

/// <summary>How pods end: drained out of the config API before their containers stop, or at once when the runtime shuts down.</summary>
public sealed partial class RuntimeHost
{
    /// <summary>
    /// Stops a pod. <paramref name="drain"/> (a pod replaced, scaled down or orphaned while the mesh keeps running): the
    /// Pod leaves the config API first, so the proxies' snapshots drop its endpoint, and its containers stop
    /// <see cref="RuntimeOptions.DrainDuration"/> later, when no proxy routes a new request to it any more.
    /// </summary>
    private void StopPod(PodWorker worker, bool drain)
    {
        lock (_gate)
        {
            if (!_pods.Remove(worker)) return;
            _dirty.Remove(worker);
        }
        _options.Log($"runtime: stopping pod {worker.Plan.Namespace}/{worker.Plan.Name}" + (drain ? $" (draining for {_options.DrainDuration.TotalSeconds:0.#} s)" : ""));
        if (drain) worker.MarkTerminating();
        var task = Task.Run(async () =>
        {
            var deleted = false;
            if (drain)
            {
                deleted = await DeletePodResourceAsync(worker).ConfigureAwait(false);
                await Task.Delay(_options.DrainDuration).ConfigureAwait(false);
            }
            await worker.DisposeAsync().ConfigureAwait(false);
            if (!deleted) await DeletePodResourceAsync(worker).ConfigureAwait(false);
            RuntimeLeftovers.TryDeleteDirectory(worker.Plan.Directory);
            PodIsolation? isolation;
            lock (_gate)
            {
                _isolation.Remove(worker, out isolation);
            }
            if (isolation is not null)
            {
                _podNetwork!.Forget(worker.Plan);
                _podNetwork.Detach(isolation);
            }
            else
            {
                _addresses.Release(worker.Plan.PodIp);
            }
        });
        lock (_gate)
        {
            _stopping.RemoveAll(t => t.IsCompleted);
            _stopping.Add(task);
        }
    }

    private async Task<bool> DeletePodResourceAsync(PodWorker worker)
    {
        await _apiWrites.WaitAsync().ConfigureAwait(false);
        try
        {
            await _api.DeleteAsync("Pod", worker.Plan.Namespace, worker.Plan.Name).ConfigureAwait(false);
            return true;
        }
        catch (Exception e)
        {
            _options.Log($"runtime: could not delete pod {worker.Plan.Namespace}/{worker.Plan.Name}: {e.Message}");
            return false;
        }
        finally
        {
            _apiWrites.Release();
        }
    }

    /// <summary>Stops every pod at once (no drain: the mesh is going away), then the network proxies and the pod network.</summary>
    private async Task ShutdownAsync()
    {
        List<PodWorker> pods;
        lock (_gate) pods = [.. _pods];
        foreach (var pod in pods) StopPod(pod, drain: false);
        Task[] stopping;
        lock (_gate) stopping = [.. _stopping];
        await Task.WhenAll(stopping).ConfigureAwait(false);
        await _networkProxies.StopAsync().ConfigureAwait(false);
        if (_podNetwork is not null) await _podNetwork.DisposeAsync().ConfigureAwait(false);
        try { File.Delete(_options.State.RuntimeInfoFile); } catch (IOException) { }
    }
}
