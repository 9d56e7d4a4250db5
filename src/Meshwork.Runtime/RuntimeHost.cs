using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.Runtime.Events;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime;

public sealed record RuntimeOptions
{
    public required StateDirectory State { get; init; }
    public required IMeshApi Api { get; init; }
    /// <summary>The meshwork binary (sidecars and the network proxy run it; its folder leads the pods' PATH).</summary>
    public required string MeshworkExecutable { get; init; }
    /// <summary>Start the network proxy that plays the plain network for pods without a sidecar.</summary>
    public bool NetworkProxy { get; init; } = true;
    /// <summary>Create the istio-ingressgateway (Deployment and LoadBalancer Service in istio-system) when absent.</summary>
    public bool IngressGateway { get; init; }
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The pod network mode; null: <see cref="PodNetworkModes.FromEnvironment"/>.</summary>
    public PodNetworkMode? PodNetwork { get; init; }
    public Action<string> Log { get; init; } = line => Console.Error.WriteLine(line);
    /// <summary>Where the pods' and deployments' Kubernetes events go (the config API, for <c>up</c>).</summary>
    public Meshwork.Api.Events.IEventRecorder Events { get; init; } = Meshwork.Api.Events.IEventRecorder.None;
}

/// <summary>
/// The local runtime: a client of the config API that keeps, for every Deployment, `replicas`
/// pods of its current template running as local processes (with a sidecar where injection asks
/// for one), reports them as Pod objects, and replaces pods when the template changes.
/// </summary>
public sealed class RuntimeHost
{
    private const string NetworkProxyName = "meshwork-network";

    private readonly RuntimeOptions _options;
    private readonly IMeshApi _api;
    private readonly RuntimeEvents _events;
    private readonly LoopbackAddressPool _addresses;
    private readonly PodNetworkMode _mode;
    private PodNetworkController? _podNetwork;
    private readonly Dictionary<PodWorker, PodIsolation> _isolation = [];
    private readonly List<PodWorker> _pods = [];
    private readonly HashSet<PodWorker> _dirty = [];
    private readonly List<Task> _stopping = [];
    private readonly Dictionary<string, string> _planErrors = [];
    private readonly SemaphoreSlim _apiWrites = new(1, 1);
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly object _gate = new();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    /// <summary>One network proxy per namespace with pods outside the mesh: like cluster DNS, it
    /// resolves short names ("httpbin") in the client's namespace.</summary>
    private readonly Dictionary<string, (PodWorker Worker, string Url)> _networkProxies = new(StringComparer.Ordinal);
    private string? _lastApiError;

    public RuntimeHost(RuntimeOptions options)
    {
        _options = options;
        _api = options.Api;
        _events = new RuntimeEvents(options.Events);
        _addresses = new LoopbackAddressPool(options.State.Root);
        _mode = options.PodNetwork ?? PodNetworkModes.FromEnvironment();
    }

    public PodNetworkMode PodNetwork => _mode;

    /// <summary>http://address:port of the first network proxy, once one is started.</summary>
    public string? NetworkProxyUrl { get; private set; }

    /// <summary>Runs until <paramref name="cancellationToken"/> fires, then stops every pod it started.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        CleanUpLeftovers();
        if (_mode == PodNetworkMode.Namespaces)
        {
            _podNetwork = PodNetworkController.Start(_options.State.Root, ControlPlaneEndPoint, _options.Log);
        }
        else
        {
            _options.Log($"runtime: {PodNetworkModes.NotIsolatedNote}");
        }
        await DeleteStalePodObjectsAsync(cancellationToken).ConfigureAwait(false);
        if (_options.IngressGateway) await CreateIngressGatewayAsync(cancellationToken).ConfigureAwait(false);
        using var watches = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchTasks = new[] { "Deployment", "Namespace" }.Select(kind => Task.Run(() => WatchAsync(kind, watches.Token))).ToList();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await ReconcileOnceAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    await _wake.WaitAsync(_options.ResyncInterval, cancellationToken).ConfigureAwait(false);
                    // Coalesce a burst of events (an apply of many documents) into one pass.
                    await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                    while (_wake.CurrentCount > 0) await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            await watches.CancelAsync().ConfigureAwait(false);
            await ShutdownAsync().ConfigureAwait(false);
            try { await Task.WhenAll(watchTasks).ConfigureAwait(false); } catch (Exception) { }
        }
    }

    private void Wake() => _wake.Release();

    private async Task WatchAsync(string kind, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in _api.WatchAsync(kind, null, null, cancellationToken).ConfigureAwait(false)) Wake();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The periodic pass still converges; the watch only makes it prompt.
            }
            try { await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>Stops processes a previous runtime left behind (it was killed) and forgets their pods.</summary>
    private void CleanUpLeftovers()
    {
        var podsRoot = Path.Combine(_options.State.Root, "pods");
        foreach (var record in PodRecord.List(_options.State))
        {
            foreach (var container in record.Containers)
            {
                if (container.Pid is int pid && BelongsTo(pid, record.Name)) Posix.SignalGroup(pid, Posix.SigKill);
            }
        }
        foreach (var directory in Directory.Exists(NetworkProxyDirectory) ? Directory.GetDirectories(NetworkProxyDirectory) : [])
        {
            foreach (var container in PodRecord.Read(directory)?.Containers ?? [])
            {
                if (container.Pid is int pid && BelongsTo(pid, NetworkProxyName)) Posix.SignalGroup(pid, Posix.SigKill);
            }
        }
        TryDeleteDirectory(NetworkProxyDirectory);
        TryDeleteDirectory(podsRoot);
        if (Posix.IsRoot) PodNetworkController.RemoveLeftovers(_options.State.Root, _options.Log);
    }

    /// <summary>The control plane's listener (from server.json), where the pods' relay sends their connections.</summary>
    private EndPoint? ControlPlaneEndPoint() =>
        Uri.TryCreate(ReadControlPlaneUrl(), UriKind.Absolute, out var url) && IPAddress.TryParse(url.Host.Trim('[', ']'), out var address)
            ? new IPEndPoint(address.Equals(IPAddress.Any) ? IPAddress.Loopback : address, url.Port)
            : url is null ? null : new DnsEndPoint(url.Host, url.Port);

    /// <summary>True when process <paramref name="pid"/> is a container of pod <paramref name="pod"/> (not a reused pid).</summary>
    private static bool BelongsTo(int pid, string pod)
    {
        try
        {
            var environ = File.ReadAllText($"/proc/{pid}/environ");
            return environ.Split('\0').Contains($"POD_NAME={pod}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private async Task DeleteStalePodObjectsAsync(CancellationToken cancellationToken)
    {
        try
        {
            foreach (var pod in await _api.ListAsync("Pod", null, null, cancellationToken).ConfigureAwait(false))
            {
                await _api.DeleteAsync("Pod", pod.Metadata.Namespace, pod.Metadata.Name, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _options.Log($"runtime: could not remove pods of an earlier run: {e.Message}");
        }
    }

    private string NetworkProxyDirectory => Path.Combine(_options.State.Root, "network");

    private PodEnvironmentSettings Settings => new()
    {
        MeshworkExecutable = _options.MeshworkExecutable,
        ProxyCommand = ProxyCommand.Resolve(_options.MeshworkExecutable, Environment.GetEnvironmentVariable(ProxyCommand.OverrideVariable)),
        State = _options.State,
        ControlPlaneUrl = ReadControlPlaneUrl(),
        HostEnvironment = PodEnvironmentSettings.InheritFromHost(),
    };

    private string? ReadControlPlaneUrl()
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(_options.State.ServerInfoFile));
            return document.RootElement.TryGetProperty("url", out var url) ? url.GetString() : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The http_proxy for pods of <paramref name="namespace"/> without a sidecar (started on first use).</summary>
    private string? NetworkProxyFor(string @namespace)
    {
        if (!_options.NetworkProxy) return null;
        lock (_gate)
        {
            if (_networkProxies.TryGetValue(@namespace, out var existing)) return existing.Url;
        }
        var started = StartNetworkProxy(@namespace);
        lock (_gate) _networkProxies[@namespace] = started;
        NetworkProxyUrl ??= started.Url;
        return started.Url;
    }

    private (PodWorker Worker, string Url) StartNetworkProxy(string @namespace)
    {
        int[] ports = [PodEnvironmentSettings.SidecarAdminPort, PodEnvironmentSettings.SidecarOutboundPort];
        var address = _addresses.Allocate(ports);
        var ip = address.ToString();
        var settings = Settings;
        var directory = Path.Combine(NetworkProxyDirectory, @namespace);
        TryDeleteDirectory(directory);
        var env = new Dictionary<string, string>(settings.HostEnvironment, StringComparer.Ordinal)
        {
            [ProxyEnvironment.Role] = "network",
            [ProxyEnvironment.ControlPlaneRoot] = _options.State.RootCertFile,
            [ProxyEnvironment.BootstrapTokenFile] = Path.Combine(directory, "bootstrap-token"),
            [ProxyEnvironment.CertDirectory] = Path.Combine(directory, "etc", "certs"),
            [ProxyEnvironment.OutboundAddress] = $"{ip}:{PodEnvironmentSettings.SidecarOutboundPort}",
            [ProxyEnvironment.AdminAddress] = $"{ip}:{PodEnvironmentSettings.SidecarAdminPort}",
            [ProxyEnvironment.PodName] = NetworkProxyName,
            [ProxyEnvironment.PodNamespace] = @namespace,
            [ProxyEnvironment.PodIp] = ip,
            [ProxyEnvironment.ServiceAccount] = NetworkProxyName,
            [ProxyEnvironment.Workload] = NetworkProxyName,
            [ProxyEnvironment.PodLabels] = "{}",
        };
        if (settings.ControlPlaneUrl is not null) env[ProxyEnvironment.ControlPlane] = settings.ControlPlaneUrl;
        foreach (var (key, value) in PodEnvironmentSettings.ProxyRuntimeSettings) env.TryAdd(key, value);
        var plan = new PodPlan
        {
            Namespace = @namespace,
            Name = NetworkProxyName,
            Deployment = NetworkProxyName,
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
                return (await _api.CreateBootstrapTokenAsync(@namespace, NetworkProxyName, ct).ConfigureAwait(false)).Token;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The network proxy has no identity to prove; a missing token only matters if the
                // control plane insists, and then its log says so.
                return "";
            }
        }, _ => Wake(), _options.Log);
        worker.Start();
        _options.Log($"runtime: network proxy for namespace {@namespace} on {url}");
        return (worker, url);
    }

    private async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        ImmutableArray<Resource> deployments, namespaces;
        // Taken before the lists are requested: whatever was applied before this moment is in them.
        var observedAt = DateTimeOffset.UtcNow;
        try
        {
            deployments = await _api.ListAsync("Deployment", null, null, cancellationToken).ConfigureAwait(false);
            namespaces = await _api.ListAsync("Namespace", null, null, cancellationToken).ConfigureAwait(false);
            if (_lastApiError is not null) _options.Log("runtime: config API reachable again");
            _lastApiError = null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (_lastApiError != e.Message) _options.Log($"runtime: config API: {e.Message}");
            _lastApiError = e.Message;
            WriteInfo(null, []);
            return;
        }
        var byNamespace = namespaces.OfType<Namespace>().ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        var progress = ImmutableArray.CreateBuilder<DeploymentProgress>();
        var wanted = new HashSet<(string, string)>();
        foreach (var deployment in deployments.OfType<Deployment>().OrderBy(d => d.Metadata.Namespace).ThenBy(d => d.Metadata.Name))
        {
            var ns = deployment.Metadata.Namespace ?? "default";
            wanted.Add((ns, deployment.Metadata.Name));
            progress.Add(ReconcileDeployment(ns, deployment, byNamespace.GetValueOrDefault(ns)));
        }
        List<PodWorker> orphans;
        lock (_gate) orphans = [.. _pods.Where(p => !wanted.Contains((p.Plan.Namespace, p.Plan.Deployment)))];
        foreach (var orphan in orphans) StopPod(orphan);
        await PublishAsync(cancellationToken).ConfigureAwait(false);
        await PublishLoadBalancersAsync(cancellationToken).ConfigureAwait(false);
        await UpdatePodNetworkAsync(cancellationToken).ConfigureAwait(false);
        WriteInfo(observedAt, progress.ToImmutable());
    }

    /// <summary>Pod network mode: every pod's hosts file and Service translation follow the Services and the running pods.</summary>
    private async Task UpdatePodNetworkAsync(CancellationToken cancellationToken)
    {
        if (_podNetwork is null) return;
        ImmutableArray<Resource> services;
        try { services = await _api.ListAsync("Service", null, null, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException) { return; }
        List<PodPlan> running;
        lock (_gate) running = [.. _pods.Where(p => !p.Terminating).Select(p => p.Plan)];
        _podNetwork.Update(services.OfType<Service>(), running);
    }

    /// <summary>Creates what of the default ingress gateway is missing; what exists (a user's own) is left as it is.</summary>
    private async Task CreateIngressGatewayAsync(CancellationToken cancellationToken)
    {
        try
        {
            var port = IngressGateway.ChoosePort();
            foreach (var resource in IngressGateway.Resources(port))
            {
                if (await _api.GetAsync(resource.Kind, resource.Metadata.Namespace, resource.Metadata.Name, cancellationToken).ConfigureAwait(false) is not null) continue;
                await _api.PutAsync(resource, cancellationToken).ConfigureAwait(false);
            }
            _options.Log($"runtime: ingress gateway {IngressGateway.Namespace}/{IngressGateway.Name} on port {port}");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _options.Log($"runtime: could not create the ingress gateway: {e.Message}");
        }
    }

    /// <summary>
    /// A LoadBalancer Service's address is that of a running pod it selects (the lowest, for a stable answer), written
    /// to status.loadBalancer.ingress as a cloud's load balancer controller does; none while no such pod has one.
    /// </summary>
    private async Task PublishLoadBalancersAsync(CancellationToken cancellationToken)
    {
        ImmutableArray<Resource> services;
        try { services = await _api.ListAsync("Service", null, null, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException) { return; }
        foreach (var service in services.OfType<Service>().Where(s => s.Spec.Type == "LoadBalancer" && !s.Spec.Selector.IsEmpty))
        {
            string? address;
            lock (_gate)
            {
                address = _pods
                    .Where(p => p.Plan.Namespace == (service.Metadata.Namespace ?? "default") && service.Spec.Selector.Matches(p.Plan.Labels))
                    .Select(p => p.Plan.PodIp.ToString())
                    .Order(StringComparer.Ordinal)
                    .FirstOrDefault();
            }
            ImmutableArray<string> ingress = address is null ? [] : [address];
            if (service.Status.LoadBalancerIngress.SequenceEqual(ingress)) continue;
            try { await _api.PutAsync(service with { Status = new ServiceStatus { LoadBalancerIngress = ingress } }, cancellationToken).ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException) { _options.Log($"runtime: could not publish the address of service {service.Ref}: {e.Message}"); }
        }
    }

    private DeploymentProgress ReconcileDeployment(string ns, Deployment deployment, Namespace? @namespace)
    {
        var name = deployment.Metadata.Name;
        var template = deployment.Spec.Template;
        var hash = PodNaming.TemplateHash(template);
        var replicas = Math.Max(0, deployment.Spec.Replicas);
        List<PodWorker> current, old;
        lock (_gate)
        {
            var mine = _pods.Where(p => p.Plan.Namespace == ns && p.Plan.Deployment == name).ToList();
            current = [.. mine.Where(p => p.Plan.TemplateHash == hash)];
            old = [.. mine.Where(p => p.Plan.TemplateHash != hash)];
        }
        var key = $"{ns}/{name}/{hash}";
        string? error = _planErrors.GetValueOrDefault(key);
        var before = current.Count;
        for (var i = current.Count; i < replicas && error is null; i++)
        {
            try
            {
                current.Add(CreatePod(ns, name, hash, template, @namespace));
            }
            catch (Exception e) when (e is PodPlanException or InvalidOperationException)
            {
                error = e.Message;
                _planErrors[key] = error;
                _options.Log($"runtime: deployment {ns}/{name}: {error}");
            }
        }
        if (current.Count > replicas)
        {
            foreach (var extra in current.OrderBy(p => p.Ready).ThenByDescending(p => p.CreatedAt).Take(current.Count - replicas).ToList())
            {
                StopPod(extra);
                current.Remove(extra);
            }
        }
        _events.Scaled(ns, name, hash, before, current.Count);
        var ready = current.Count(p => p.Ready);
        // A rolling update with surge: the old pods go once the new ones are all ready.
        if (old.Count > 0 && (ready >= replicas || error is not null))
        {
            foreach (var group in old.GroupBy(p => p.Plan.TemplateHash)) _events.Scaled(ns, name, group.Key, group.Count(), 0);
            foreach (var pod in old) StopPod(pod);
            old.Clear();
        }
        return new DeploymentProgress { Namespace = ns, Name = name, Replicas = replicas, Ready = ready, Old = old.Count, Error = error };
    }

    private PodWorker CreatePod(string ns, string deployment, string hash, PodTemplate template, Namespace? @namespace)
    {
        var gateway = GatewayInjection.IsGateway(template);
        // A gateway pod's proxy is its own container, not an injected sidecar.
        var sidecar = !gateway && SidecarInjection.Decide(template, @namespace);
        var ports = template.Spec.Containers.SelectMany(c => c.Ports.IsDefault ? [] : c.Ports).Select(p => p.Port).ToHashSet();
        if (sidecar || gateway)
        {
            ports.Add(PodEnvironmentSettings.SidecarAdminPort);
            ports.Add(PodEnvironmentSettings.SidecarOutboundPort);
        }
        var name = PodNaming.NewPodName(deployment, hash);
        var isolation = _podNetwork?.Attach();
        var address = isolation?.Network.PodIp ?? _addresses.Allocate(ports);
        PodPlan plan;
        try
        {
            var settings = isolation is not null
                ? Settings with { Isolation = isolation }
                : Settings with { NetworkProxyUrl = sidecar ? null : NetworkProxyFor(ns) };
            plan = PodPlanner.Plan(settings, ns, name, deployment, hash, template, sidecar, address, () => LoopbackAddressPool.FreePort());
            if (isolation is not null) _podNetwork!.Prepare(plan, isolation, _options.State.RootCertFile);
        }
        catch (Exception e)
        {
            if (isolation is not null) _podNetwork!.Detach(isolation);
            else _addresses.Release(address);
            // A pod network that cannot be set up, or a traffic annotation that cannot be read, stops the pod.
            if (e is PodNetworkException or FormatException or IOException) throw new PodPlanException(e.Message);
            throw;
        }
        var serviceAccount = string.IsNullOrEmpty(template.Spec.ServiceAccountName) ? "default" : template.Spec.ServiceAccountName;
        Func<CancellationToken, Task<string>>? token = sidecar || gateway
            ? async ct => (await _api.CreateBootstrapTokenAsync(ns, serviceAccount, ct).ConfigureAwait(false)).Token
            : null;
        var worker = new PodWorker(plan, token, OnPodChanged, _options.Log, _events);
        _events.Scheduled(ns, name);
        lock (_gate)
        {
            _pods.Add(worker);
            if (isolation is not null) _isolation[worker] = isolation;
        }
        _options.Log($"runtime: starting pod {ns}/{name} on {address}{(sidecar ? " with a sidecar" : "")}");
        worker.Start();
        return worker;
    }

    private void OnPodChanged(PodWorker worker)
    {
        lock (_gate) _dirty.Add(worker);
        Wake();
    }

    private void StopPod(PodWorker worker)
    {
        lock (_gate)
        {
            if (!_pods.Remove(worker)) return;
            _dirty.Remove(worker);
        }
        _options.Log($"runtime: stopping pod {worker.Plan.Namespace}/{worker.Plan.Name}");
        var task = Task.Run(async () =>
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            await _apiWrites.WaitAsync().ConfigureAwait(false);
            try
            {
                await _api.DeleteAsync("Pod", worker.Plan.Namespace, worker.Plan.Name).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _options.Log($"runtime: could not delete pod {worker.Plan.Namespace}/{worker.Plan.Name}: {e.Message}");
            }
            finally
            {
                _apiWrites.Release();
            }
            TryDeleteDirectory(worker.Plan.Directory);
            PodIsolation? isolation;
            lock (_gate)
            {
                _isolation.Remove(worker, out isolation);
            }
            if (isolation is not null)
            {
                _podNetwork!.Forget(worker.Plan);
                _podNetwork.Detach(isolation);
            }
            else
            {
                _addresses.Release(worker.Plan.PodIp);
            }
        });
        lock (_gate)
        {
            _stopping.RemoveAll(t => t.IsCompleted);
            _stopping.Add(task);
        }
    }

    private async Task PublishAsync(CancellationToken cancellationToken)
    {
        List<PodWorker> dirty;
        lock (_gate)
        {
            dirty = [.. _dirty];
            _dirty.Clear();
        }
        foreach (var worker in dirty)
        {
            await _apiWrites.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                bool active;
                lock (_gate) active = _pods.Contains(worker);
                if (active) await _api.PutAsync(worker.ToResource(), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                lock (_gate) _dirty.Add(worker);
                if (_lastApiError != e.Message) _options.Log($"runtime: could not report pod {worker.Plan.Namespace}/{worker.Plan.Name}: {e.Message}");
                _lastApiError = e.Message;
            }
            finally
            {
                _apiWrites.Release();
            }
        }
    }

    private void WriteInfo(DateTimeOffset? observedAt, ImmutableArray<DeploymentProgress> deployments)
    {
        var previous = observedAt is null ? RuntimeInfo.Read(_options.State) : null;
        int? networkPid;
        lock (_gate) networkPid = _networkProxies.Values.Select(p => p.Worker.ToRecord().Containers.FirstOrDefault()?.Pid).FirstOrDefault(p => p is not null);
        try
        {
            new RuntimeInfo
            {
                Pid = Environment.ProcessId,
                StartedAt = _startedAt,
                ObservedAt = observedAt ?? previous?.ObservedAt,
                NetworkProxy = NetworkProxyUrl,
                NetworkProxyPid = networkPid,
                ApiError = _lastApiError,
                PodNetwork = _mode.ToString(),
                Deployments = observedAt is null ? previous?.Deployments ?? [] : deployments,
            }.Write(_options.State);
        }
        catch (IOException e)
        {
            _options.Log($"runtime: could not write {_options.State.RuntimeInfoFile}: {e.Message}");
        }
    }

    private async Task ShutdownAsync()
    {
        List<PodWorker> pods;
        lock (_gate) pods = [.. _pods];
        foreach (var pod in pods) StopPod(pod);
        Task[] stopping;
        lock (_gate) stopping = [.. _stopping];
        await Task.WhenAll(stopping).ConfigureAwait(false);
        List<PodWorker> proxies;
        lock (_gate) proxies = [.. _networkProxies.Values.Select(p => p.Worker)];
        await Task.WhenAll(proxies.Select(p => p.DisposeAsync().AsTask())).ConfigureAwait(false);
        TryDeleteDirectory(NetworkProxyDirectory);
        if (_podNetwork is not null) await _podNetwork.DisposeAsync().ConfigureAwait(false);
        try { File.Delete(_options.State.RuntimeInfoFile); } catch (IOException) { }
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
