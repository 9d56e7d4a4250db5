using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Pods;

/// <summary>How one container is run and when it counts as ready.</summary>
public sealed record ContainerPlan
{
    public required string Name { get; init; }
    public required ProcessLaunch Launch { get; init; }
    public bool IsSidecar { get; init; }
    /// <summary>The container's readinessProbe; without one (and without <see cref="ReadinessUrl"/>) it is ready once running, as in Kubernetes.</summary>
    public ProbePlan? Readiness { get; init; }
    /// <summary>The container's livenessProbe: failing it restarts the container.</summary>
    public ProbePlan? Liveness { get; init; }
    /// <summary>An HTTP URL that must answer 200 for the container to be ready (the sidecar's /ready).</summary>
    public string? ReadinessUrl { get; init; }
    /// <summary>The user the container runs as in pod network mode (null: the runtime's own user, loopback mode).</summary>
    public int? Uid { get; init; }
}

/// <summary>Everything a pod needs to start, computed before anything starts.</summary>
public sealed record PodPlan
{
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public required string Deployment { get; init; }
    public required string TemplateHash { get; init; }
    public required IPAddress PodIp { get; init; }
    /// <summary>The address the pod's connections come from (see <see cref="PodRecord.SourceAddress"/>); null: <see cref="PodIp"/>.</summary>
    public IPAddress? SourceAddress { get; init; }
    public required bool Sidecar { get; init; }
    public required string Directory { get; init; }
    public required ImmutableSortedDictionary<string, string> Labels { get; init; }
    public required ImmutableSortedDictionary<string, string> Annotations { get; init; }
    public required PodSpec Spec { get; init; }
    public required ImmutableArray<ContainerPlan> Containers { get; init; }
    /// <summary>The sidecar's user in pod network mode: the bootstrap token is given to it.</summary>
    public int? ProxyUid { get; init; }

    public string TokenFile => Path.Combine(Directory, "bootstrap-token");
    public string CertDirectory => Path.Combine(Directory, "etc", "certs");
}

/// <summary>Settings shared by every pod of one runtime.</summary>
public sealed record PodEnvironmentSettings
{
    /// <summary>The meshwork binary: its folder goes first on every pod's PATH.</summary>
    public required string MeshworkExecutable { get; init; }
    /// <summary>What starts a sidecar or network proxy (see <see cref="Pods.ProxyCommand"/>).</summary>
    public ImmutableArray<string> ProxyCommand
    {
        get => _proxyCommand.IsDefault ? Pods.ProxyCommand.Resolve(MeshworkExecutable, null) : _proxyCommand;
        init => _proxyCommand = value;
    }
    private readonly ImmutableArray<string> _proxyCommand;
    public required StateDirectory State { get; init; }
    /// <summary>https URL of the control plane, for sidecars.</summary>
    public string? ControlPlaneUrl { get; init; }
    /// <summary>http://host:port of the network proxy: the http_proxy of pods without a sidecar.</summary>
    public string? NetworkProxyUrl { get; init; }
    /// <summary>Set in pod network mode: the pod's namespace and users (null: loopback mode).</summary>
    public PodIsolation? Isolation { get; init; }
    /// <summary>Variables every process inherits from the host (PATH, HOME, DOTNET_*, ...).</summary>
    public ImmutableSortedDictionary<string, string> HostEnvironment { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public const int SidecarAdminPort = 15000;
    public const int SidecarOutboundPort = 15001;
    /// <summary>The read-only metrics listener on the pod IP (Istio's merged Prometheus port).</summary>
    public const int SidecarMetricsPort = 15090;

    /// <summary>
    /// .NET settings every proxy runs with (bench/sidecar-runtime.env explains each): one epoll
    /// thread with inline completions, a small non-concurrent workstation GC heap, no PGO tier, no ICU.
    /// </summary>
    public static readonly ImmutableSortedDictionary<string, string> ProxyRuntimeSettings = new Dictionary<string, string>
    {
        ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "1",
        ["DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT"] = "1",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_gcConcurrent"] = "0",
        // Hex without "0x", names spelled exactly as the collector's keys: NativeAOT's runtime ignores anything else.
        // The gen0 budget (2 MiB, floor and ceiling) and the heap cap (256 MiB) are explained in bench/sidecar-runtime.env.
        ["DOTNET_GCgen0size"] = "200000",
        ["DOTNET_GCGen0MaxBudget"] = "200000",
        ["DOTNET_GCHeapHardLimit"] = "10000000",
        ["DOTNET_TieredCompilation"] = "1",
        ["DOTNET_TieredPGO"] = "0",
        ["DOTNET_EnableWriteXorExecute"] = "0",
        ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1",
    }.ToImmutableSortedDictionary(StringComparer.Ordinal);

    private static readonly string[] InheritedNames = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR", "TERM", "SHELL"];

    /// <summary>The host variables a pod's processes inherit: a small, predictable set.</summary>
    public static ImmutableSortedDictionary<string, string> InheritFromHost()
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            if (entry.Key is string key && entry.Value is string value
                && (InheritedNames.Contains(key) || key.StartsWith("DOTNET_", StringComparison.Ordinal) || key.StartsWith("SSL_CERT", StringComparison.Ordinal)))
            {
                builder[key] = value;
            }
        }
        return builder.ToImmutable();
    }
}

/// <summary>
/// Builds a pod's plan: its containers' commands and environments as the architecture's "Local
/// network" describes them. Pure apart from reading the settings it is given.
/// </summary>
public static class PodPlanner
{
    /// <param name="allocatePort">Gives a free port on 127.0.0.1 for an app behind a sidecar.</param>
    public static PodPlan Plan(
        PodEnvironmentSettings settings, string @namespace, string name, string deployment, string templateHash,
        PodTemplate template, bool sidecar, IPAddress podIp, Func<int> allocatePort)
    {
        var directory = settings.State.PodDirectory(@namespace, name);
        var podIp4 = podIp.ToString();
        var labels = template.Labels.SetItem(PodNaming.TemplateHashLabel, templateHash);
        if (sidecar)
        {
            labels = labels.SetItem(SidecarInjection.TlsModeLabel, "istio")
                .SetItem("service.istio.io/canonical-name", labels.GetValueOrDefault("app") ?? deployment);
        }
        var meshworkDirectory = Path.GetDirectoryName(settings.MeshworkExecutable)!;
        var hostPath = settings.HostEnvironment.GetValueOrDefault("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
        var basePath = $"{meshworkDirectory}:{hostPath}";
        var serviceAccount = string.IsNullOrEmpty(template.Spec.ServiceAccountName) ? "default" : template.Spec.ServiceAccountName;

        var declaredPorts = template.Spec.Containers.SelectMany(c => c.Ports.IsDefault ? [] : c.Ports).Select(p => p.Port).Distinct().ToList();
        var inbound = new SortedDictionary<int, int>();
        if (sidecar)
        {
            // In its own namespace the app keeps its port; the sidecar captures it with iptables.
            foreach (var port in declaredPorts) inbound[port] = settings.Isolation is null ? allocatePort() : port;
        }

        var containers = ImmutableArray.CreateBuilder<ContainerPlan>();
        var gateway = GatewayInjection.IsGateway(template);
        foreach (var container in template.Spec.Containers)
        {
            if (gateway && container.Name == SidecarInjection.SidecarContainerName)
            {
                containers.Add(GatewayInjection.ProxyContainer(settings, container, directory, basePath, podIp4, @namespace, name, deployment, serviceAccount, labels));
                continue;
            }
            var env = new Dictionary<string, string>(settings.HostEnvironment, StringComparer.Ordinal)
            {
                ["PATH"] = basePath,
                ["POD_IP"] = podIp4,
                ["POD_NAME"] = name,
                ["POD_NAMESPACE"] = @namespace,
                ["SERVICE_ACCOUNT"] = serviceAccount,
                ["no_proxy"] = "localhost,127.0.0.1",
                ["NO_PROXY"] = "localhost,127.0.0.1",
            };
            var proxy = sidecar ? $"http://{podIp4}:{PodEnvironmentSettings.SidecarOutboundPort}" : settings.NetworkProxyUrl;
            if (settings.Isolation is not null)
            {
                // Capture takes the app's traffic without http_proxy; HOME is the host user's and not the pod's to read.
                proxy = null;
                env["HOME"] = "/tmp";
            }
            if (proxy is not null)
            {
                env["http_proxy"] = proxy;
                env["HTTP_PROXY"] = proxy;
            }
            var ports = container.Ports.IsDefault ? [] : container.Ports;
            // Where the app listens for a container port. In the pod's own namespace: on its declared port, on every
            // address; on loopback mode: behind its sidecar on a loopback port, else on the pod address.
            Func<int, IPEndPoint> listening = settings.Isolation is not null
                ? port => new IPEndPoint(sidecar ? IPAddress.Loopback : podIp, port)
                : sidecar
                    ? port => new IPEndPoint(IPAddress.Loopback, inbound.TryGetValue(port, out var local) ? local : port)
                    : port => new IPEndPoint(podIp, port);
            env["HOST"] = settings.Isolation is not null ? "0.0.0.0" : sidecar ? "127.0.0.1" : podIp4;
            foreach (var port in ports)
            {
                env[$"PORT_{port.Port.ToString(CultureInfo.InvariantCulture)}"] = listening(port.Port).Port.ToString(CultureInfo.InvariantCulture);
            }
            if (ports.Length > 0) env["PORT"] = listening(ports[0].Port).Port.ToString(CultureInfo.InvariantCulture);
            foreach (var variable in container.Env.IsDefault ? [] : container.Env)
            {
                env[variable.Name] = EnvironmentExpansion.Expand(variable.Value, env);
            }
            var command = (container.Command.IsDefault ? [] : container.Command).Concat(container.Args.IsDefault ? [] : container.Args)
                .Select(word => EnvironmentExpansion.Expand(word, env)).ToImmutableArray();
            if (command.IsEmpty)
            {
                throw new PodPlanException($"container {container.Name} of deployment {@namespace}/{deployment} has no command: " +
                    "Meshwork runs processes, not images; set command (e.g. [\"meshwork\", \"sample\", \"httpbin\"] or [\"sleep\", \"infinity\"])");
            }
            containers.Add(new ContainerPlan
            {
                Name = container.Name,
                Launch = new ProcessLaunch
                {
                    Command = command,
                    Environment = env.ToImmutableSortedDictionary(StringComparer.Ordinal),
                    WorkingDirectory = directory,
                    LogFile = settings.State.ContainerLogFile(@namespace, name, container.Name),
                },
                // Behind a sidecar in its own namespace, a probe from outside would meet the capture (and STRICT): it runs
                // inside the pod instead, as Istio's rewritten probes bypass mTLS.
                Readiness = InsidePodIf(settings.Isolation is not null && sidecar, ProbePlan.For(container.ReadinessProbe, ports, listening)),
                Liveness = InsidePodIf(settings.Isolation is not null && sidecar, ProbePlan.For(container.LivenessProbe, ports, listening)),
            });
        }

        if (sidecar)
        {
            var env = ProxyContainerEnvironment.For(settings, "sidecar", directory, basePath, podIp4, @namespace, name, deployment, serviceAccount, labels);
            env[ProxyEnvironment.InboundPorts] = string.Join(',', inbound.Select(p => $"{p.Key}=127.0.0.1:{p.Value}"));
            var readinessUrl = $"http://{podIp4}:{PodEnvironmentSettings.SidecarAdminPort}/ready";
            if (settings.Isolation is not null)
            {
                env[ProxyEnvironment.Capture] = "iptables";
                env[ProxyEnvironment.OutboundAddress] = $"127.0.0.1:{PodEnvironmentSettings.SidecarOutboundPort}";
                env[ProxyEnvironment.AdminAddress] = $"127.0.0.1:{PodEnvironmentSettings.SidecarAdminPort}";
                env[ProxyEnvironment.InboundCaptureAddress] = $"0.0.0.0:{CaptureSettings.InboundCapturePort}";
                env[ProxyEnvironment.MetricsAddress] = $"{podIp4}:{PodEnvironmentSettings.SidecarMetricsPort}";
                // The admin listener is the pod's own; from outside only the metrics port answers.
                readinessUrl = $"http://{podIp4}:{PodEnvironmentSettings.SidecarMetricsPort}/stats/prometheus";
            }
            containers.Add(new ContainerPlan
            {
                Name = SidecarInjection.SidecarContainerName,
                IsSidecar = true,
                Launch = new ProcessLaunch
                {
                    Command = settings.ProxyCommand,
                    Environment = env.ToImmutableSortedDictionary(StringComparer.Ordinal),
                    WorkingDirectory = directory,
                    LogFile = settings.State.ContainerLogFile(@namespace, name, SidecarInjection.SidecarContainerName),
                },
                ReadinessUrl = readinessUrl,
            });
        }
        if (settings.Isolation is { } isolation)
        {
            var isolated = containers.Select(c => PodSandboxing.Isolate(c, isolation, settings.State.Root, directory)).ToList();
            containers.Clear();
            containers.AddRange(isolated);
        }

        var spec = template.Spec;
        if (sidecar)
        {
            spec = spec with
            {
                Containers = spec.Containers.Add(new Container
                {
                    Name = SidecarInjection.SidecarContainerName,
                    Image = "meshwork proxy",
                    Command = settings.ProxyCommand,
                }),
            };
        }

        return new PodPlan
        {
            Namespace = @namespace,
            Name = name,
            Deployment = deployment,
            TemplateHash = templateHash,
            PodIp = podIp,
            SourceAddress = SourceAddressOf(settings, sidecar || gateway, podIp),
            Sidecar = sidecar,
            Directory = directory,
            Labels = labels,
            Annotations = template.Annotations,
            Spec = spec,
            Containers = containers.ToImmutable(),
            ProxyUid = settings.Isolation?.Users.ProxyUid,
        };
    }

    /// <summary>
    /// Where a destination sees the pod's connections come from. A pod's own proxy (sidecar or gateway) connects from the pod
    /// address, and so does anything in a pod network namespace; in loopback mode an app without a proxy of its own calls
    /// through its namespace's network proxy (its http_proxy), which connects from the network proxy's address.
    /// </summary>
    private static IPAddress SourceAddressOf(PodEnvironmentSettings settings, bool ownProxy, IPAddress podIp) =>
        !ownProxy && settings.Isolation is null && settings.NetworkProxyUrl is { } url
            && Uri.TryCreate(url, UriKind.Absolute, out var proxy) && IPAddress.TryParse(proxy.Host, out var networkProxy)
            ? networkProxy
            : podIp;

    private static ProbePlan? InsidePodIf(bool inside, ProbePlan? plan) => inside ? plan?.InsidePod() : plan;
}

public sealed class PodPlanException(string message) : Exception(message);
