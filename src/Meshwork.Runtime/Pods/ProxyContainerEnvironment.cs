using System.Text.Json;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Runtime.Pods;

/// <summary>The environment a pod's proxy process starts with, sidecar or gateway: who it is, where its files are, where to listen.</summary>
internal static class ProxyContainerEnvironment
{
    public static Dictionary<string, string> For(PodEnvironmentSettings settings, string role, string directory, string basePath,
        string podIp, string @namespace, string name, string deployment, string serviceAccount, IReadOnlyDictionary<string, string> labels)
    {
        var env = new Dictionary<string, string>(settings.HostEnvironment, StringComparer.Ordinal)
        {
            ["PATH"] = basePath,
            [ProxyEnvironment.Role] = role,
            [ProxyEnvironment.ControlPlaneRoot] = settings.State.RootCertFile,
            [ProxyEnvironment.BootstrapTokenFile] = Path.Combine(directory, "bootstrap-token"),
            [ProxyEnvironment.CertDirectory] = Path.Combine(directory, "etc", "certs"),
            [ProxyEnvironment.OutboundAddress] = $"{podIp}:{PodEnvironmentSettings.SidecarOutboundPort}",
            [ProxyEnvironment.AdminAddress] = $"{podIp}:{PodEnvironmentSettings.SidecarAdminPort}",
            [ProxyEnvironment.PodLabels] = JsonSerializer.Serialize(labels),
            [ProxyEnvironment.PodName] = name,
            [ProxyEnvironment.PodNamespace] = @namespace,
            [ProxyEnvironment.PodIp] = podIp,
            [ProxyEnvironment.ServiceAccount] = serviceAccount,
            [ProxyEnvironment.Workload] = deployment,
        };
        if (settings.ControlPlaneUrl is not null) env[ProxyEnvironment.ControlPlane] = settings.ControlPlaneUrl;
        if (settings.Isolation is not null)
        {
            // Inside the pod the state directory is hidden and 127.0.0.1 is the pod's own.
            env[ProxyEnvironment.ControlPlaneRoot] = PodIsolation.RootCertFile(directory);
            env[ProxyEnvironment.ControlPlane] = settings.Isolation.ControlPlaneUrl;
        }
        foreach (var (key, value) in PodEnvironmentSettings.ProxyRuntimeSettings) env.TryAdd(key, value);
        return env;
    }
}
