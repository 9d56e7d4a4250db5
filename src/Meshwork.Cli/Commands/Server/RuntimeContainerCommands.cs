using Meshwork.Api;
using Meshwork.ControlPlane.ConfigApi.PodExec;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Server;

/// <summary>
/// <c>kubectl exec</c> through the control plane: the pod's record in the shared state directory
/// says where its container lives, and the runtime's exec starts the command there, as
/// <c>meshwork exec</c> does.
/// </summary>
internal sealed class RuntimeContainerCommands(StateDirectory state) : IContainerCommands
{
    public ContainerCommand Prepare(string @namespace, string pod, string container, IReadOnlyList<string> command)
    {
        if (PodRecord.Resolve(state, @namespace, pod, out _) is not { } record)
        {
            return ContainerCommand.Refused($"pod {pod} has no running containers on this host");
        }
        if (record.Containers.FirstOrDefault(c => c.Name == container) is not { } found)
        {
            return ContainerCommand.Refused($"container {container} of pod {pod} is not running");
        }
        var start = PodExec.StartInfo(found, command, captureOutput: true);
        start.RedirectStandardInput = true;
        return ContainerCommand.Ready(start);
    }
}
