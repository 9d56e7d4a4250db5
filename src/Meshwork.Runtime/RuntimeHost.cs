using System.Collections.Immutable;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Runtime.Addons;
using Meshwork.Runtime.Events;
using Meshwork.Runtime.Network;
using Meshwork.Runtime.Nodes;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Scheduling;

namespace Meshwork.Runtime;

/// <summary>
/// The local runtime: a client of the config API that keeps, for every Deployment, `replicas`
/// pods of its current template running as local processes (with a sidecar where injection asks
/// for one), reports them as Pod objects, and replaces pods when the template changes.
/// </summary>
public sealed partial class RuntimeHost
{
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
    private readonly NetworkProxies _networkProxies;
    private string? _lastApiError;
    private ImmutableArray<PodEndpoint> _podsElsewhere = [];

    public RuntimeHost(RuntimeOptions options)
    {
        _options = options;
        _api = options.Api;
        _events = new RuntimeEvents(options.Events);
        _addresses = new LoopbackAddressPool(options.State.Root);
        _mode = options.PodNetwork ?? PodNetworkModes.FromEnvironment();
        _networkProxies = new NetworkProxies(options, _addresses, () => Settings, Wake);
    }

    public PodNetworkMode PodNetwork => _mode;

    /// <summary>http://address:port of the first network proxy, once one is started.</summary>
    public string? NetworkProxyUrl => _networkProxies.FirstUrl;

    /// <summary>Runs until <paramref name="cancellationToken"/> fires, then stops every pod it started.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        RuntimeLeftovers.Remove(_options.State, _options.Log);
        var node = _options.NodeName is { } nodeName ? new NodeRegistration(_api, nodeName, _options.NodeAddress, _options.Log) : null;
        if (_mode == PodNetworkMode.Namespaces)
        {
            // One relay per replica known at start; with none known yet (server.json still to come), the one control plane.
            var replicas = ControlPlaneAddress.Replicas(_options.State, _options.ControlPlane)?.Count ?? 1;
            var reserved = _options.NodeName is { } self ? await NodeRegistration.OtherPodRangesAsync(_api, self, cancellationToken).ConfigureAwait(false) : [];
            _podNetwork = PodNetworkController.Start(_options.State.Root, replicas,
                replica => ControlPlaneAddress.Listener(_options.State, _options.ControlPlane, replica), reserved,
                node is null ? null : range => node.TryClaim(range, cancellationToken), _options.Log);
        }
        else
        {
            _options.Log($"runtime: {PodNetworkModes.NotIsolatedNote}");
        }
        await RuntimeLeftovers.DeleteStalePodObjectsAsync(_api, _options.NodeName, _options.Log, cancellationToken).ConfigureAwait(false);
        if (_options.IngressGateway) await IngressGateway.CreateMissingAsync(_api, _options.Log, cancellationToken).ConfigureAwait(false);
        using var watches = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watchTasks = new[] { "Deployment", "Namespace" }.Select(kind => Task.Run(() => WatchAsync(kind, watches.Token))).ToList();
        if (node is not null)
        {
            watchTasks.Add(Task.Run(() => node.RunAsync(watches.Token)));
            watchTasks.Add(Task.Run(() => WatchAsync("Node", watches.Token)));
        }
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

    private PodEnvironmentSettings Settings => new()
    {
        MeshworkExecutable = _options.MeshworkExecutable,
        ProxyCommand = ProxyCommand.Resolve(_options.MeshworkExecutable, Environment.GetEnvironmentVariable(ProxyCommand.OverrideVariable)),
        State = _options.State,
        ControlPlaneUrl = ControlPlaneAddress.Replicas(_options.State, _options.ControlPlane)?.ToString(),
        HostEnvironment = PodEnvironmentSettings.InheritFromHost(),
    };

    private async Task ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        ImmutableArray<Resource> deployments, namespaces, nodes = [];
        // Taken before the lists are requested: whatever was applied before this moment is in them.
        var observedAt = DateTimeOffset.UtcNow;
        try
        {
            deployments = await _api.ListAsync("Deployment", null, null, cancellationToken).ConfigureAwait(false);
            namespaces = await _api.ListAsync("Namespace", null, null, cancellationToken).ConfigureAwait(false);
            if (_options.NodeName is not null) nodes = await _api.ListAsync("Node", null, null, cancellationToken).ConfigureAwait(false);
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
        if (_options.NodeName is { } self) _podNetwork?.RouteToNodes(nodes.OfType<Node>(), self, _options.NodeAddress, observedAt);
        var byNamespace = namespaces.OfType<Namespace>().ToDictionary(n => n.Metadata.Name, StringComparer.Ordinal);
        var progress = ImmutableArray.CreateBuilder<DeploymentProgress>();
        var wanted = new HashSet<(string, string)>();
        // istiod's Deployment is the control plane's own record of itself: its pod is the control plane, which runs apart.
        foreach (var deployment in deployments.OfType<Deployment>().Where(d => !ControlPlaneDeployment.Is(d)).OrderBy(d => d.Metadata.Namespace).ThenBy(d => d.Metadata.Name))
        {
            var ns = deployment.Metadata.Namespace ?? "default";
            wanted.Add((ns, deployment.Metadata.Name));
            progress.Add(ReconcileDeployment(ns, deployment, byNamespace.GetValueOrDefault(ns), Placed(ns, deployment, nodes.OfType<Node>(), observedAt)));
        }
        List<PodWorker> orphans;
        lock (_gate) orphans = [.. _pods.Where(p => !wanted.Contains((p.Plan.Namespace, p.Plan.Deployment)))];
        foreach (var orphan in orphans) StopPod(orphan, drain: true);
        await PublishAsync(cancellationToken).ConfigureAwait(false);
        await FollowServicesAsync(cancellationToken).ConfigureAwait(false);
        WriteInfo(observedAt, progress.ToImmutable());
    }

    /// <summary>
    /// What follows the Services and the running pods: LoadBalancer addresses and, in the pod network mode, every
    /// pod's hosts file and Service translation.
    /// </summary>
    private async Task FollowServicesAsync(CancellationToken cancellationToken)
    {
        ImmutableArray<Service> services;
        try { services = [.. (await _api.ListAsync("Service", null, null, cancellationToken).ConfigureAwait(false)).OfType<Service>()]; }
        catch (Exception e) when (e is not OperationCanceledException) { return; }
        List<PodPlan> pods, running;
        lock (_gate)
        {
            pods = [.. _pods.Select(p => p.Plan)];
            running = [.. _pods.Where(p => !p.Terminating).Select(p => p.Plan)];
        }
        await LoadBalancerAddresses.PublishAsync(_api, services, pods, _options.Log, cancellationToken).ConfigureAwait(false);
        if (_podNetwork is null) return;
        _podNetwork.Update(services, running, await PodsElsewhereAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// The running pods of the mesh's other nodes, which this node's pods without a sidecar reach through their Services
    /// (kube-proxy's endpoints span every node); none on a single host. While the pods cannot be listed (a replica
    /// going away), the last list holds.
    /// </summary>
    private async Task<ImmutableArray<PodEndpoint>> PodsElsewhereAsync(CancellationToken cancellationToken)
    {
        if (_options.NodeName is not { } self) return [];
        ImmutableArray<Resource> pods;
        try { pods = await _api.ListAsync("Pod", null, null, cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException) { return _podsElsewhere; }
        return _podsElsewhere = [.. pods.OfType<Pod>()
            .Where(p => p.Spec.NodeName is { } node && node != self && p.Status.Phase == "Running")
            .Select(p => System.Net.IPAddress.TryParse(p.Status.PodIP, out var ip)
                ? new PodEndpoint(p.Metadata.Namespace ?? "default", p.Metadata.Labels, ip, p.Spec.Containers)
                : null)
            .OfType<PodEndpoint>()];
    }

    /// <summary>How many of the Deployment's replicas this runtime runs (all of them on a single host), or why it runs none.</summary>
    private (int Replicas, string? Unschedulable) Placed(string ns, Deployment deployment, IEnumerable<Node> nodes, DateTimeOffset now)
    {
        var replicas = Math.Max(0, deployment.Spec.Replicas);
        if (_options.NodeName is not { } self) return (replicas, null);
        var placement = PodPlacement.Place(ns, deployment.Metadata.Name, replicas, deployment.Spec.Template.Spec, nodes, now);
        return (placement.CountOn(self), placement.Unschedulable);
    }

    private DeploymentProgress ReconcileDeployment(string ns, Deployment deployment, Namespace? @namespace, (int Replicas, string? Unschedulable) placed)
    {
        var name = deployment.Metadata.Name;
        var template = deployment.Spec.Template;
        var hash = PodNaming.TemplateHash(template);
        var replicas = placed.Replicas;
        List<PodWorker> current, old;
        lock (_gate)
        {
            var mine = _pods.Where(p => p.Plan.Namespace == ns && p.Plan.Deployment == name).ToList();
            current = [.. mine.Where(p => p.Plan.TemplateHash == hash)];
            old = [.. mine.Where(p => p.Plan.TemplateHash != hash)];
        }
        var key = $"{ns}/{name}/{hash}";
        string? error = _planErrors.GetValueOrDefault(key) ?? placed.Unschedulable;
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
                StopPod(extra, drain: true);
                current.Remove(extra);
            }
        }
        _events.Scaled(ns, name, hash, before, current.Count);
        var ready = current.Count(p => p.Ready);
        // A rolling update with surge: the old pods go once the new ones are all ready.
        if (old.Count > 0 && (ready >= replicas || error is not null))
        {
            foreach (var group in old.GroupBy(p => p.Plan.TemplateHash)) _events.Scaled(ns, name, group.Key, group.Count(), 0);
            foreach (var pod in old) StopPod(pod, drain: true);
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
                : Settings with { NetworkProxyUrl = sidecar ? null : _networkProxies.UrlFor(ns) };
            plan = PodPlanner.Plan(settings, ns, name, deployment, hash, template, sidecar, address, () => LoopbackAddressPool.FreePort());
            AddonPodFiles.Stage(plan, _options.State, isolation?.Users.AppUid);
            if (_options.NodeName is { } node) plan = plan with { Spec = plan.Spec with { NodeName = node } };
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
        var networkPid = _networkProxies.FirstPid;
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
}
