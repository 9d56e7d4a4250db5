using Meshwork.Runtime.Processes;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A test of the pod network mode, which needs root (network namespaces, iptables, users of its own): skipped, with
/// that reason shown, elsewhere. CI runs as root.
/// </summary>
public sealed class PodNetworkFactAttribute : FactAttribute
{
    public static string? SkipReason => OperatingSystem.IsLinux() && Posix.IsRoot
        ? null
        : "the pod network mode needs root (network namespaces, iptables, pod users); CI runs as root";

    public PodNetworkFactAttribute()
    {
        if (SkipReason is { } reason) Skip = reason;
    }
}
