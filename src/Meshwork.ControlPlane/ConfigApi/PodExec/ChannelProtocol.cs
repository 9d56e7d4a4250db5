using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.PodExec;

/// <summary>
/// Kubernetes' channel protocol over WebSocket (KEP-3396; k8s.io/apimachinery
/// util/remotecommand): every binary message starts with one byte naming its stream, and the
/// error stream carries one Status object when the command ends. <c>v5.channel.k8s.io</c> adds a
/// close signal (stream 255, payload the stream to close) so a client can end stdin without
/// ending the connection; <c>v4.channel.k8s.io</c> has everything else.
/// </summary>
public static class ChannelProtocol
{
    public const string V5 = "v5.channel.k8s.io";
    public const string V4 = "v4.channel.k8s.io";

    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;
    public const byte Error = 3;
    public const byte Resize = 4;
    public const byte Close = 255;

    /// <summary>The first protocol the client offers that is served here (the client lists its preference first), or null.</summary>
    public static string? Negotiate(IEnumerable<string> offered) =>
        offered.Select(p => p.Trim()).FirstOrDefault(p => p is V5 or V4);

    /// <summary>The error stream's last word when the command exited 0.</summary>
    public static byte[] Success() => Encode(new JsonObject { ["metadata"] = new JsonObject(), ["status"] = "Success" });

    /// <summary>
    /// The error stream's last word for a non-zero exit, as the kubelet words it: reason
    /// NonZeroExitCode and a cause ExitCode whose message is the code, which kubectl turns into
    /// "command terminated with exit code N" and its own exit status.
    /// </summary>
    public static byte[] NonZeroExit(IReadOnlyList<string> command, int exitCode)
    {
        var code = exitCode.ToString(CultureInfo.InvariantCulture);
        return Encode(new JsonObject
        {
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}",
            ["reason"] = "NonZeroExitCode",
            ["details"] = new JsonObject
            {
                ["causes"] = new JsonArray(new JsonObject { ["reason"] = "ExitCode", ["message"] = code }),
            },
        });
    }

    private static byte[] Encode(JsonObject status) => Encoding.UTF8.GetBytes(status.ToJsonString());
}
