using Meshwork.Api;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime;

/// <summary>What a runtime that was killed leaves behind (processes, pod folders, pod objects, the pod network), and removing it.</summary>
internal static class RuntimeLeftovers
{
    /// <summary>Stops processes a previous runtime left behind (it was killed) and forgets their pods.</summary>
    public static void Remove(StateDirectory state, Action<string> log)
    {
        var podsRoot = Path.Combine(state.Root, "pods");
        foreach (var record in PodRecord.List(state))
        {
            foreach (var container in record.Containers)
            {
                if (container.Pid is int pid && BelongsTo(pid, record.Name)) Posix.SignalGroup(pid, Posix.SigKill);
            }
        }
        foreach (var directory in Directory.Exists(NetworkProxies.DirectoryOf(state)) ? Directory.GetDirectories(NetworkProxies.DirectoryOf(state)) : [])
        {
            foreach (var container in PodRecord.Read(directory)?.Containers ?? [])
            {
                if (container.Pid is int pid && BelongsTo(pid, NetworkProxies.Name)) Posix.SignalGroup(pid, Posix.SigKill);
            }
        }
        TryDeleteDirectory(NetworkProxies.DirectoryOf(state));
        TryDeleteDirectory(podsRoot);
        if (Posix.IsRoot) PodNetworkController.RemoveLeftovers(state.Root, log);
    }

    /// <summary>True when process <paramref name="pid"/> is a container of pod <paramref name="pod"/> (not a reused pid).</summary>
    public static bool BelongsTo(int pid, string pod)
    {
        try
        {
            var environ = File.ReadAllText($"/proc/{pid}/environ");
            return environ.Split('\0').Contains($"POD_NAME={pod}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Pod objects of an earlier run of this runtime: their processes are gone, so are they. A node's runtime removes
    /// only the pods that name it (<paramref name="nodeName"/>); the other nodes' pods run on.
    /// </summary>
    public static async Task DeleteStalePodObjectsAsync(IMeshApi api, string? nodeName, Action<string> log, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var pod in await api.ListAsync("Pod", null, null, cancellationToken).ConfigureAwait(false))
            {
                if (pod is Meshwork.Model.Resources.Pod { Spec.NodeName: var node } && node != nodeName) continue;
                await api.DeleteAsync("Pod", pod.Metadata.Namespace, pod.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            log($"runtime: could not remove pods of an earlier run: {e.Message}");
        }
    }

    public static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
