using System.Text.Json;
using System.Text.Json.Serialization;

namespace Meshwork.Api;

/// <summary>
/// The content of &lt;state&gt;/server.json: where the running control plane listens and its process.
/// The control plane writes it; the CLI, the runtime and the control plane itself read it.
/// </summary>
public sealed record ServerInfo(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("pid")] int Pid)
{
    public static ServerInfo? Read(StateDirectory state)
    {
        try
        {
            var info = JsonSerializer.Deserialize<ServerInfo>(File.ReadAllText(state.ServerInfoFile));
            return info?.Url is null ? null : info;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this) + "\n";

    /// <summary>True while the recorded process runs (and is not this process).</summary>
    public bool ProcessIsAlive() => Pid != Environment.ProcessId && ProcessLiveness.IsRunning(Pid);
}

/// <summary>Whether a process recorded in the state directory still runs.</summary>
public static class ProcessLiveness
{
    /// <summary>
    /// True while <paramref name="pid"/> runs. A zombie — exited but not yet reaped, as happens to
    /// daemons whose parent is gone when nothing reaps them — is not running, though its pid still exists.
    /// </summary>
    public static bool IsRunning(int pid)
    {
        if (pid <= 1) return false;
        try
        {
            // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces and parentheses.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is not ('Z' or 'X');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
