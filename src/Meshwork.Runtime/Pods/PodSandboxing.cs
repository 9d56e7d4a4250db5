using Meshwork.Runtime.Network;

namespace Meshwork.Runtime.Pods;

/// <summary>Puts a planned container into its pod's sandbox: the sidecar (or gateway proxy) as the proxy user with /etc/certs, apps as the app user.</summary>
internal static class PodSandboxing
{
    public static ContainerPlan Isolate(ContainerPlan container, PodIsolation isolation, string stateRoot, string podDirectory)
    {
        var sandbox = new ContainerSandbox
        {
            NetworkNamespacePath = isolation.Network.NamespacePath!,
            StateRoot = stateRoot,
            PodDirectory = podDirectory,
            StagingDirectory = isolation.StagingDirectory,
            Uid = container.IsSidecar ? isolation.Users.ProxyUid : isolation.Users.AppUid,
            // Istio's sidecar image names its user istio-proxy.
            UserName = container.IsSidecar ? SidecarInjection.SidecarContainerName : "app",
            CertDirectory = container.IsSidecar ? Path.Combine(podDirectory, "etc", "certs") : null,
            ResolvConfFile = PodIsolation.ResolvConfFile(podDirectory),
            // What the container runs must stay reachable for its user: the folders on its PATH.
            Programs = [.. (container.Launch.Environment.GetValueOrDefault("PATH") ?? "").Split(':')
                .Where(dir => Path.IsPathRooted(dir) && Directory.Exists(dir)).Distinct(StringComparer.Ordinal)],
        };
        return container with
        {
            Launch = container.Launch with { Command = PodSandbox.Wrap(sandbox, container.Launch.Command) },
            Uid = sandbox.Uid,
        };
    }
}
