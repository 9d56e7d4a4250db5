using System.Collections.Immutable;
using System.Diagnostics;
using Meshwork.Model.Resources;

namespace Meshwork.Runtime.Pods;

/// <summary>How a pod shows itself: its record on disk (what exec and logs read) and its Pod object in the config API, published together.</summary>
public sealed partial class PodWorker
{
    private sealed record Published(PodRecord Record, Pod Resource);

    /// <summary>
    /// Writes the pod's record and tells the runtime it changed. Containers start, exit and turn ready on tasks of their
    /// own, so two changes can publish at once: the writes take turns and each records the state as it is when its turn
    /// comes, so that the record on disk never falls behind the last change. The Pod object the config API gets and the
    /// readiness the rollout counts are those of the record written: no one sees a pod ready that `exec` cannot find so.
    /// </summary>
    private void Publish()
    {
        lock (_recordWrite)
        {
            Published published;
            lock (_gate) published = new(ToRecord(), ResourceNow());
            try
            {
                published.Record.Write(Plan.Directory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log($"pod {Plan.Namespace}/{Plan.Name}: could not write {PodRecord.FileName}: {e.Message}");
            }
            _published = published;
        }
        _changed(this);
    }

    public PodRecord ToRecord()
    {
        lock (_gate)
        {
            return new PodRecord
            {
                Namespace = Plan.Namespace,
                Name = Plan.Name,
                Deployment = Plan.Deployment,
                TemplateHash = Plan.TemplateHash,
                PodIp = Plan.PodIp.ToString(),
                SourceAddress = (Plan.SourceAddress ?? Plan.PodIp).ToString(),
                Sidecar = Plan.Sidecar,
                CreatedAt = CreatedAt,
                Labels = Plan.Labels,
                Terminating = _terminating,
                Containers = [.. Plan.Containers.Select(p =>
                {
                    var c = _containers[p.Name];
                    return World(p, c.Process is { } process ? Pid(process) : null) with { Ready = c.Ready, RestartCount = c.Restarts, State = c.State };
                })],
            };
        }
    }

    /// <summary>The process's id, or null once it has exited and been disposed of.</summary>
    private static int? Pid(Process process)
    {
        try { return process.Id; } catch (InvalidOperationException) { return null; }
    }

    /// <summary>
    /// What exec needs of a container, as exec sees it: its command, environment and folder (an isolated pod's is entered
    /// through its process's namespaces).
    /// </summary>
    private static ContainerRecord World(ContainerPlan p, int? pid = null) => new()
    {
        Pid = pid,
        Name = p.Name,
        Command = p.Launch.Command,
        Environment = p.Launch.Environment,
        WorkingDirectory = p.Launch.WorkingDirectory,
        LogFile = p.Launch.LogFile,
        Uid = p.Uid,
    };

    /// <summary>The Pod object the config API shows for this pod, as last published.</summary>
    public Pod ToResource() => _published?.Resource ?? ResourceNow();

    private Pod ResourceNow()
    {
        ImmutableArray<Meshwork.Model.Resources.ContainerStatus> statuses;
        string phase;
        string? reason;
        lock (_gate)
        {
            statuses = [.. Plan.Containers.Select(p =>
            {
                var c = _containers[p.Name];
                return new Meshwork.Model.Resources.ContainerStatus { Name = p.Name, Ready = c.Ready, RestartCount = c.Restarts, State = c.State };
            })];
            var anyStarted = _containers.Values.Any(c => c.State == "running" || c.Restarts > 0);
            phase = anyStarted ? "Running" : "Pending";
            reason = _terminating ? "Terminating" : _containers.Values.Select(c => c.Reason).FirstOrDefault(r => r is not null);
        }
        return new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta
            {
                Name = Plan.Name,
                Namespace = Plan.Namespace,
                Labels = Plan.Labels,
                Annotations = Plan.Annotations,
                CreationTimestamp = CreatedAt,
            },
            Spec = Plan.Spec,
            Status = new PodStatus
            {
                Phase = phase,
                Reason = reason,
                PodIP = Plan.PodIp.ToString(),
                StartTime = CreatedAt,
                ContainerStatuses = statuses,
            },
        };
    }
}
