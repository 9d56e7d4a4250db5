using System.Text.Json.Nodes;

namespace Meshwork.ControlPlane.ConfigApi.Discovery;

/// <summary>
/// What <c>/version</c> reports. kubectl warns when the server is more than one minor version away
/// from it, and tools gate features on this number, so it names the Kubernetes API level the config
/// API follows (discovery, Table, Status, merge and JSON patch), not Meshwork's own version.
/// </summary>
public static class ServerVersion
{
    public const string Major = "1";
    public const string Minor = "32";
    public const string GitVersion = "v1.32.0-meshwork";

    public static JsonObject Document() => new()
    {
        ["major"] = Major,
        ["minor"] = Minor,
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "1970-01-01T00:00:00Z",
        ["goVersion"] = "",
        ["compiler"] = "dotnet",
        ["platform"] = $"{(OperatingSystem.IsLinux() ? "linux" : "unknown")}/{System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant()}",
    };
}
