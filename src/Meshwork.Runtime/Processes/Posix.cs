using System.Runtime.InteropServices;

namespace Meshwork.Runtime.Processes;

/// <summary>The few POSIX calls .NET does not expose: signals to a whole process group.</summary>
public static partial class Posix
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEffectiveUserId();

    /// <summary>True when this process runs with root's effective uid.</summary>
    public static bool IsRoot => GetEffectiveUserId() == 0;

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int ChownNative(string path, uint owner, uint group);

    /// <summary>Gives <paramref name="path"/> to <paramref name="uid"/>:<paramref name="gid"/>; throws with errno on failure.</summary>
    public static void Chown(string path, int uid, int gid)
    {
        if (ChownNative(path, (uint)uid, (uint)gid) != 0)
        {
            throw new IOException($"chown {uid}:{gid} {path} failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    /// <summary>Sends <paramref name="signal"/> to the process group <paramref name="pgid"/>; false when none is left.</summary>
    public static bool SignalGroup(int pgid, int signal) => pgid > 1 && Kill(-pgid, signal) == 0;

    /// <summary>Sends <paramref name="signal"/> to one process; false when it is gone.</summary>
    public static bool Signal(int pid, int signal) => pid > 1 && Kill(pid, signal) == 0;

    /// <summary>True while a process with this id runs; an exited, unreaped one does not.</summary>
    public static bool IsAlive(int pid) => Meshwork.Api.ProcessLiveness.IsRunning(pid);

    public static bool GroupIsAlive(int pgid) => pgid > 1 && Kill(-pgid, 0) == 0;

    /// <summary>SIGTERM to the group, then SIGKILL when it is still there after <paramref name="grace"/>.</summary>
    public static async Task TerminateGroupAsync(int pgid, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        if (!SignalGroup(pgid, SigTerm)) return;
        var deadline = DateTime.UtcNow + grace;
        while (DateTime.UtcNow < deadline)
        {
            if (!GroupIsAlive(pgid)) return;
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        SignalGroup(pgid, SigKill);
    }
}
