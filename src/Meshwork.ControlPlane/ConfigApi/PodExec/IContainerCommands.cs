using System.Diagnostics;

namespace Meshwork.ControlPlane.ConfigApi.PodExec;

/// <summary>
/// Starts commands in a pod's container for the exec subresource. The local runtime knows each
/// container's world (environment, working directory, network), so the program that hosts the
/// control plane beside it supplies this; a control plane without one refuses exec.
/// </summary>
public interface IContainerCommands
{
    /// <summary>How to start <paramref name="command"/> in the container, or why it cannot run here.</summary>
    ContainerCommand Prepare(string @namespace, string pod, string container, IReadOnlyList<string> command);
}

/// <summary>
/// A command ready to start (stdin, stdout and stderr redirected), or the reason it cannot be.
/// </summary>
public sealed record ContainerCommand
{
    public ProcessStartInfo? StartInfo { get; private init; }
    public string? Refusal { get; private init; }

    public static ContainerCommand Ready(ProcessStartInfo startInfo)
    {
        ArgumentNullException.ThrowIfNull(startInfo);
        if (!startInfo.RedirectStandardInput || !startInfo.RedirectStandardOutput || !startInfo.RedirectStandardError)
        {
            throw new ArgumentException("exec relays stdin, stdout and stderr: all three must be redirected", nameof(startInfo));
        }
        return new ContainerCommand { StartInfo = startInfo };
    }

    public static ContainerCommand Refused(string reason) => new() { Refusal = reason };
}
