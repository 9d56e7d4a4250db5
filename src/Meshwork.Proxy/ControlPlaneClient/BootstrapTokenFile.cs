using Meshwork.Proxy.Configuration;

namespace Meshwork.Proxy.ControlPlaneClient;

/// <summary>
/// The bootstrap token as the runtime last wrote it. A token buys one certificate, so it is read afresh for every
/// request that needs one (the first certificate, and a new one after the last expired while the control plane
/// was away, for which the runtime writes a fresh token), not once at start.
/// </summary>
internal static class BootstrapTokenFile
{
    /// <summary>A token is a few hundred bytes; a larger file is not one.</summary>
    private const long MaxBytes = 16 * 1024;

    /// <summary>The token in <see cref="ProxyOptions.BootstrapTokenFile"/> now, else the one given at start; null when there is none.</summary>
    public static string? Current(ProxyOptions options)
    {
        if (options.BootstrapTokenFile is { } path)
        {
            try
            {
                if (new FileInfo(path).Length <= MaxBytes && File.ReadAllText(path).Trim() is { Length: > 0 } token) return token;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Being rewritten, or gone: the token read at start is the best there is.
            }
        }
        return options.BootstrapToken;
    }
}
