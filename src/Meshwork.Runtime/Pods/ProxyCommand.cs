using System.Collections.Immutable;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// The command that starts a proxy process. The native <c>meshwork-proxy</c> (NativeAOT: no JIT, a third
/// of the memory, ready sooner) when it was built beside <c>meshwork</c> or is named by
/// <see cref="OverrideVariable"/>; otherwise <c>meshwork proxy</c>, which runs the same code under the JIT.
/// </summary>
public static class ProxyCommand
{
    public const string NativeExecutableName = "meshwork-proxy";
    /// <summary>Path of a meshwork-proxy to use instead of the one beside meshwork.</summary>
    public const string OverrideVariable = "MESHWORK_PROXY_BIN";

    public static ImmutableArray<string> Resolve(string meshworkExecutable, string? overridePath)
    {
        if (!string.IsNullOrEmpty(overridePath))
        {
            // Asked for by name: a missing file is a configuration error, not a reason to fall back quietly.
            if (!File.Exists(overridePath))
                throw new FileNotFoundException($"{OverrideVariable} names {overridePath}, which does not exist", overridePath);
            return [Path.GetFullPath(overridePath)];
        }
        var directory = Path.GetDirectoryName(meshworkExecutable);
        var native = directory is null ? null : Path.Combine(directory, NativeExecutableName);
        return native is not null && File.Exists(native) ? [native] : [meshworkExecutable, "proxy"];
    }
}
