using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// Istio's gateway injection: a pod template annotated <c>inject.istio.io/templates: gateway</c> whose container
/// <c>istio-proxy</c> runs the proxy in the gateway role, listening on the pod IP at each of its container ports.
/// A container port serves the Gateway servers of the same number, except 8080 and 8443, which serve 80 and 443
/// (Istio's ingress gateway Service maps 80 and 443 to those target ports).
/// </summary>
public static class GatewayInjection
{
    public const string TemplatesAnnotation = "inject.istio.io/templates";

    public static bool IsGateway(PodTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        return template.Annotations.GetValueOrDefault(TemplatesAnnotation) == "gateway";
    }

    public static int GatewayPortFor(int containerPort) => containerPort switch
    {
        8080 => 80,
        8443 => 443,
        _ => containerPort,
    };

    /// <summary>The gateway proxy container of a gateway pod.</summary>
    internal static ContainerPlan ProxyContainer(PodEnvironmentSettings settings, Container container, string directory, string basePath,
        string podIp, string @namespace, string name, string deployment, string serviceAccount, IReadOnlyDictionary<string, string> labels)
    {
        var ports = container.Ports.IsDefault ? [] : container.Ports;
        var env = ProxyContainerEnvironment.For(settings, "gateway", directory, basePath, podIp, @namespace, name, deployment, serviceAccount, labels);
        env[ProxyEnvironment.GatewayPorts] = string.Join(',', ports.Select(p => string.Create(CultureInfo.InvariantCulture, $"{podIp}:{p.Port}={GatewayPortFor(p.Port)}")));
        foreach (var variable in container.Env.IsDefault ? [] : container.Env) env[variable.Name] = EnvironmentExpansion.Expand(variable.Value, env);
        return new ContainerPlan
        {
            Name = container.Name,
            IsSidecar = true,
            Launch = new Processes.ProcessLaunch
            {
                Command = settings.ProxyCommand,
                Environment = env.ToImmutableSortedDictionary(StringComparer.Ordinal),
                WorkingDirectory = directory,
                LogFile = Path.Combine(directory, "logs", $"{container.Name}.log"),
            },
            ReadinessUrl = $"http://{podIp}:{PodEnvironmentSettings.SidecarAdminPort}/ready",
        };
    }
}
