using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Network;

/// <summary>What one container of a pod sees: its network namespace, its files, its user.</summary>
public sealed record ContainerSandbox
{
    /// <summary>/run/netns/NAME of the pod.</summary>
    public required string NetworkNamespacePath { get; init; }
    public required string StateRoot { get; init; }
    public required string PodDirectory { get; init; }
    /// <summary>An empty folder outside the state directory, only ever used as a mount point in private mount namespaces.</summary>
    public required string StagingDirectory { get; init; }
    public required int Uid { get; init; }
    /// <summary>Set for the istio-proxy container: this folder appears at /etc/certs.</summary>
    public string? CertDirectory { get; init; }

    public string HostsFile => Path.Combine(PodDirectory, "hosts");
}

/// <summary>
/// Wraps a container's command so it starts inside its pod: in the pod's network namespace, in a
/// mount namespace of its own (private propagation, so nothing it mounts reaches the machine) where
/// /etc is an overlay whose hosts file is the pod's and whose /etc/certs is the sidecar's, the
/// state directory is hidden behind an empty tmpfs except the pod's own folder, and finally as the
/// container's user with no supplementary groups.
/// </summary>
public static class PodSandbox
{
    public static ImmutableArray<string> Wrap(ContainerSandbox sandbox, IEnumerable<string> command) =>
    [
        "nsenter", $"--net={sandbox.NetworkNamespacePath}", "--",
        "unshare", "--mount", "--propagation", "private", "--",
        "/bin/sh", "-c", SetupScript(sandbox), "sandbox",
        .. command,
    ];

    /// <summary>
    /// The root part runs before the user is dropped: every mount in the new namespace, then
    /// setpriv execs the command as the container's user.
    /// </summary>
    public static string SetupScript(ContainerSandbox sandbox)
    {
        var q = ProcessLauncher.ShellQuote;
        var stage = q(sandbox.StagingDirectory);
        var pod = q(sandbox.PodDirectory);
        var uid = sandbox.Uid.ToString(CultureInfo.InvariantCulture);
        var script = new StringBuilder("set -e\n");
        script.Append($"mount -t tmpfs -o mode=0755 meshwork {stage}\n");
        script.Append($"mkdir {stage}/pod {stage}/upper {stage}/work\n");
        script.Append($"mount --bind {pod} {stage}/pod\n");
        script.Append($"mount -t tmpfs -o mode=0755 meshwork {q(sandbox.StateRoot)}\n");
        script.Append($"mkdir -p {pod}\n");
        script.Append($"mount --move {stage}/pod {pod}\n");
        script.Append($"mount -t overlay overlay -o lowerdir=/etc,upperdir={stage}/upper,workdir={stage}/work /etc\n");
        script.Append($"touch /etc/hosts\nmount --bind {q(sandbox.HostsFile)} /etc/hosts\n");
        if (sandbox.CertDirectory is { } certs)
        {
            script.Append($"mkdir -p /etc/certs\nmount --bind {q(certs)} /etc/certs\n");
        }
        script.Append($"cd {pod}\n");
        script.Append($"exec setpriv --reuid {uid} --regid {uid} --clear-groups -- \"$@\"\n");
        return script.ToString();
    }

    /// <summary>
    /// The command for `exec` into a running container: its network and mount namespaces (taken
    /// from the container's process) and its user.
    /// </summary>
    public static ImmutableArray<string> Enter(int containerPid, int uid, IEnumerable<string> command)
    {
        var id = uid.ToString(CultureInfo.InvariantCulture);
        return
        [
            "nsenter", $"--target={containerPid.ToString(CultureInfo.InvariantCulture)}", "--net", "--mount", "--wd",
            "--", "setpriv", "--reuid", id, "--regid", id, "--clear-groups", "--",
            .. command,
        ];
    }
}
