using System.Collections.Immutable;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime;

/// <summary>
/// Loopback mode's plain network for pods without a sidecar: one network proxy per namespace (started on first use),
/// which, like cluster DNS plus kube-proxy, resolves short names in the client's namespace and passes a reset through.
/// </summary>
internal sealed class NetworkProxies(RuntimeOptions options, LoopbackAddressPool addresses, Func<PodEnvironmentSettings> settings, Action wake)
{
    /// <summary>The name a network proxy runs under (its POD_NAME, workload and service account).</summary>
    public const string Name = "meshwork-network";

    private readonly RuntimeOptions _options = options;
    private readonly LoopbackAddressPool _addresses = addresses;
    private readonly Func<PodEnvironmentSettings> _settings = settings;
    private readonly Action _wake = wake;
    private readonly object _gate = new();
    private readonly Dictionary<string, (PodWorker Worker, string Url)> _proxies = new(StringComparer.Ordinal);

    /// <summary>Where the network proxies keep their files.</summary>
    public static string DirectoryOf(StateDirectory state) => Path.Combine(state.Root, "network");

    /// <summary>http://address:port of the first network proxy, once one is started.</summary>
    public string? FirstUrl { get; private set; }

    /// <summary>The process of a running network proxy, for `meshwork down` to find.</summary>
    public int? FirstPid
    {
        get
        {
            lock (_gate) return _proxies.Values.Select(p => p.Worker.ToRecord().Containers.FirstOrDefault()?.Pid).FirstOrDefault(p => p is not null);
        }
    }

    /// <summary>The http_proxy for pods of <paramref name="namespace"/> without a sidecar (started on first use); null when the runtime runs none.</summary>
    public string? UrlFor(string @namespace)
    {
        if (!_options.NetworkProxy) return null;
        lock (_gate)
        {
            if (_proxies.TryGetValue(@namespace, out var existing)) return existing.Url;
        }
        var started = Start(@namespace);
        lock (_gate) _proxies[@namespace] = started;
        FirstUrl ??= started.Url;
        return started.Url;
    }

    private (PodWorker Worker, string Url) Start(string @namespace)
    {
        int[] ports = [PodEnvironmentSettings.SidecarAdminPort, PodEnvironmentSettings.SidecarOutboundPort];
        var address = _addresses.Allocate(ports);
        var ip = address.ToString();
        var settings = _settings();
        var directory = Path.Combine(DirectoryOf(_options.State), @namespace);
        RuntimeLeftovers.TryDeleteDirectory(directory);
        var env = new Dictionary<string, string>(settings.HostEnvironment, StringComparer.Ordinal)
        {
            [ProxyEnvironment.Role] = "network",
            [ProxyEnvironment.ControlPlaneRoot] = _options.State.RootCertFile,
            [ProxyEnvironment.BootstrapTokenFile] = Path.Combine(directory, "bootstrap-token"),
            [ProxyEnvironment.CertDirectory] = Path.Combine(directory, "etc", "certs"),
            [ProxyEnvironment.OutboundAddress] = $"{ip}:{PodEnvironmentSettings.SidecarOutboundPort}",
            [ProxyEnvironment.AdminAddress] = $"{ip}:{PodEnvironmentSettings.SidecarAdminPort}",
            [ProxyEnvironment.PodName] = Name,
            [ProxyEnvironment.PodNamespace] = @namespace,
            [ProxyEnvironment.PodIp] = ip,
            [ProxyEnvironment.ServiceAccount] = Name,
            [ProxyEnvironment.Workload] = Name,
            [ProxyEnvironment.PodLabels] = "{}",
        };
        if (settings.ControlPlaneUrl is not null) env[ProxyEnvironment.ControlPlane] = settings.ControlPlaneUrl;
        foreach (var (key, value) in PodEnvironmentSettings.ProxyRuntimeSettings) env.TryAdd(key, value);
        var plan = new PodPlan
        {
            Namespace = @namespace,
            Name = Name,
            Deployment = Name,
            TemplateHash = "",
            PodIp = address,
            Sidecar = false,
            Directory = directory,
            Labels = ImmutableSortedDictionary<string, string>.Empty,
            Annotations = ImmutableSortedDictionary<string, string>.Empty,
            Spec = new PodSpec(),
            Containers =
            [
                new ContainerPlan
                {
                    Name = "network-proxy",
                    IsSidecar = true,
                    Launch = new ProcessLaunch
                    {
                        Command = settings.ProxyCommand,
                        Environment = env.ToImmutableSortedDictionary(StringComparer.Ordinal),
                        WorkingDirectory = directory,
                        LogFile = Path.Combine(_options.State.LogDirectory, $"network-proxy-{@namespace}.log"),
                    },
                    ReadinessUrl = $"http://{ip}:{PodEnvironmentSettings.SidecarAdminPort}/ready",
                },
            ],
        };
        var url = $"http://{ip}:{PodEnvironmentSettings.SidecarOutboundPort}";
        var worker = new PodWorker(plan, async ct =>
        {
            try
            {
                return (await _options.Api.CreateBootstrapTokenAsync(@namespace, Name, ct).ConfigureAwait(false)).Token;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The network proxy has no identity to prove; a missing token only matters if the
                // control plane insists, and then its log says so.
                return "";
            }
        }, _ => _wake(), _options.Log);
        worker.Start();
        _options.Log($"runtime: network proxy for namespace {@namespace} on {url}");
        return (worker, url);
    }

    public async Task StopAsync()
    {
        List<PodWorker> proxies;
        lock (_gate) proxies = [.. _proxies.Values.Select(p => p.Worker)];
        await Task.WhenAll(proxies.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        RuntimeLeftovers.TryDeleteDirectory(DirectoryOf(_options.State));
    }
}
