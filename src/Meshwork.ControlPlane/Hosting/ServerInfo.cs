using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meshwork.Api;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>The content of &lt;state&gt;/server.json: where the running control plane listens.</summary>
public sealed record ServerInfo(
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("pid")] int Pid)
{
    public static ServerInfo? TryRead(StateDirectory state)
    {
        try
        {
            return JsonSerializer.Deserialize<ServerInfo>(File.ReadAllText(state.ServerInfoFile));
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void Write(StateDirectory state) => PrivateFile.Write(state.ServerInfoFile, JsonSerializer.Serialize(this) + "\n", isPublic: true);

    /// <summary>True when the recorded process still runs (another control plane owns the state directory).</summary>
    public bool ProcessIsAlive()
    {
        if (Pid == Environment.ProcessId) return false;
        try
        {
            using var process = Process.GetProcessById(Pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
