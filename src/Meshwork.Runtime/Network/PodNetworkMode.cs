namespace Meshwork.Runtime.Network;

/// <summary>How pods are networked: each in a namespace of its own, or all on the host's loopback.</summary>
public enum PodNetworkMode
{
    /// <summary>Each pod has a loopback address of the host; nothing isolates one pod from another.</summary>
    Loopback,
    /// <summary>Each pod has its own network and mount namespaces, user and iptables capture.</summary>
    Namespaces,
}

public static class PodNetworkModes
{
    public const string EnvironmentVariable = "MESHWORK_POD_NETWORK";

    /// <summary>The note `up` and `get pods` print in loopback mode.</summary>
    public const string NotIsolatedNote =
        "pods are not isolated (loopback pod network: any local process can reach an app's port and read the mesh's files; run as root for the isolated pod network)";

    /// <summary>MESHWORK_POD_NETWORK=loopback|netns when given, else namespaces as root and loopback otherwise.</summary>
    public static PodNetworkMode Resolve(string? requested, bool isRoot) => requested?.Trim().ToLowerInvariant() switch
    {
        null or "" => isRoot ? PodNetworkMode.Namespaces : PodNetworkMode.Loopback,
        "loopback" => PodNetworkMode.Loopback,
        "netns" when isRoot => PodNetworkMode.Namespaces,
        "netns" => throw new PodNetworkException($"{EnvironmentVariable}=netns needs root (network namespaces, bridge, iptables)"),
        _ => throw new PodNetworkException($"{EnvironmentVariable}=\"{requested}\" is not a pod network mode: use loopback or netns"),
    };

    public static PodNetworkMode FromEnvironment() =>
        Resolve(Environment.GetEnvironmentVariable(EnvironmentVariable), Processes.Posix.IsRoot);
}
