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
    /// <summary>The name /etc/passwd gives <see cref="Uid"/> inside the pod.</summary>
    public string UserName { get; init; } = "app";
    /// <summary>Set for the istio-proxy container: this folder appears at /etc/certs.</summary>
    public string? CertDirectory { get; init; }
    /// <summary>Folders the container's programs live in, which its user must be able to reach.</summary>
    public ImmutableArray<string> Programs { get; init; } = [];

    /// <summary>Set for containers of a pod network pod: this file appears at /etc/resolv.conf.</summary>
    public string? ResolvConfFile { get; init; }

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
        script.Append($"mkdir {stage}/upper {stage}/work\n");
        // Hidden behind empty tmpfs mounts: the state directory, and any folder above what the container needs that its
        // user could not pass through anyway (a 0700 home, say). What it needs is set aside first and put back after.
        var needed = new List<string> { sandbox.PodDirectory };
        needed.AddRange(sandbox.Programs);
        var masks = Masks(sandbox.StateRoot, needed);
        var kept = new List<(string Staged, string Path)>();
        foreach (var mask in masks)
        {
            foreach (var path in needed.Where(p => Under(p, mask)))
            {
                var staged = $"{stage}/keep{kept.Count.ToString(CultureInfo.InvariantCulture)}";
                script.Append($"mkdir {staged}\nmount --bind {q(path)} {staged}\n");
                kept.Add((staged, path));
            }
        }
        foreach (var mask in masks) script.Append($"mount -t tmpfs -o mode=0755 meshwork {q(mask)}\n");
        foreach (var (staged, path) in kept) script.Append($"mkdir -p {q(path)}\nmount --move {staged} {q(path)}\n");
        script.Append($"mount -t overlay overlay -o lowerdir=/etc,upperdir={stage}/upper,workdir={stage}/work /etc\n");
        script.Append($"touch /etc/hosts\nmount --bind {q(sandbox.HostsFile)} /etc/hosts\n");
        // Programs that look their user up (initdb, psql, ssh, whoami) find the container's user, as they do in an image that
        // declares it; the lines land in the overlay's upper layer, never in the machine's files.
        script.Append($"echo {q($"{sandbox.UserName}:x:{uid}:{uid}::/:/usr/sbin/nologin")} >>/etc/passwd\n");
        script.Append($"echo {q($"{sandbox.UserName}:x:{uid}:")} >>/etc/group\n");
        if (sandbox.ResolvConfFile is { } resolv)
        {
            // The machine's may be a symlink into /run: removed in the overlay only, never followed.
            script.Append($"rm -f /etc/resolv.conf\ntouch /etc/resolv.conf\nmount --bind {q(resolv)} /etc/resolv.conf\n");
        }
        if (sandbox.CertDirectory is { } certs)
        {
            script.Append($"mkdir -p /etc/certs\nmount --bind {q(certs)} /etc/certs\n");
        }
        script.Append($"cd {pod}\n");
        script.Append($"exec setpriv --reuid {uid} --regid {uid} --clear-groups -- \"$@\"\n");
        return script.ToString();
    }

    /// <summary>
    /// The folders to hide: the state directory, and above each needed path the outermost folder that other users
    /// cannot search; none inside another.
    /// </summary>
    internal static IReadOnlyList<string> Masks(string stateRoot, IEnumerable<string> needed)
    {
        var masks = new List<string> { Path.TrimEndingDirectorySeparator(stateRoot) };
        foreach (var path in needed)
        {
            var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
            for (var dir = Path.GetDirectoryName(full); dir is not null && dir != "/"; dir = Path.GetDirectoryName(dir))
            {
                if (!OperatingSystem.IsWindows() && Directory.Exists(dir) && (File.GetUnixFileMode(dir) & UnixFileMode.OtherExecute) == 0) masks.Add(dir);
            }
        }
        return [.. masks.Distinct(StringComparer.Ordinal).Where(m => !masks.Any(other => other != m && Under(m, other)))];
    }

    private static bool Under(string path, string folder) =>
        path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + "/", StringComparison.Ordinal);

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
