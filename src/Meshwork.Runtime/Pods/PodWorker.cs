using System.Diagnostics;
using System.Net;
using Meshwork.Runtime.Events;
using Meshwork.Runtime.Processes;

namespace Meshwork.Runtime.Pods;

/// <summary>
/// Runs one pod: starts its containers, restarts a container that exits (with backoff, counting
/// restarts as the kubelet does), probes readiness, and stops everything when asked.
/// </summary>
public sealed partial class PodWorker : IAsyncDisposable
{
    private static readonly HttpClient SidecarReadyClient = new(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(1) })
    {
        Timeout = TimeSpan.FromSeconds(2),
    };

    private readonly ProxyBootstrapToken? _bootstrapToken;
    private readonly Action<PodWorker> _changed;
    private readonly Action<string> _log;
    private readonly RuntimeEvents _events;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Dictionary<string, ContainerState> _containers;
    private readonly List<Task> _tasks = [];
    private readonly object _gate = new();
    /// <summary>One record write at a time, each of the state as it is then: the last write holds the latest state.</summary>
    private readonly object _recordWrite = new();
    /// <summary>The pod as last published: its record on disk and the Pod object the config API gets, of one moment.</summary>
    private volatile Published? _published;
    private bool _terminating;

    private sealed class ContainerState(ContainerPlan plan)
    {
        public ContainerPlan Plan { get; } = plan;
        public Process? Process { get; set; }
        public bool Ready { get; set; }
        public int Restarts { get; set; }
        public string State { get; set; } = "waiting";
        public string? Reason { get; set; }
        /// <summary>The run the probe counters below belong to (touched by the probe loop only).</summary>
        public Process? ProbedProcess { get; set; }
        public ProbeCounter? Readiness { get; set; }
        public ProbeCounter? Liveness { get; set; }
        /// <summary>Failed sidecar readiness checks in a row since the last success (touched by the probe loop only).</summary>
        public int SidecarFailures { get; set; }
    }

    /// <summary>
    /// A ready sidecar turns not ready after this many failed checks in a row (the kubelet's default failureThreshold),
    /// so that one slow answer on a busy host does not take the pod out of its Services' endpoints.
    /// </summary>
    private const int SidecarFailureThreshold = 3;

    /// <param name="events">Where the kubelet's events of this pod go; null for a process the API does not show as a pod.</param>
    public PodWorker(PodPlan plan, Func<CancellationToken, Task<string>>? bootstrapToken, Action<PodWorker> changed, Action<string> log, RuntimeEvents? events = null)
    {
        _events = events ?? new RuntimeEvents(Meshwork.Api.Events.IEventRecorder.None);
        Plan = plan;
        CreatedAt = DateTimeOffset.UtcNow;
        _bootstrapToken = bootstrapToken is null ? null : new ProxyBootstrapToken(plan, bootstrapToken, log);
        _changed = changed;
        _log = log;
        _containers = plan.Containers.ToDictionary(c => c.Name, c => new ContainerState(c));
    }

    public PodPlan Plan { get; }
    public DateTimeOffset CreatedAt { get; }
    public bool Terminating { get { lock (_gate) return _terminating; } }
    /// <summary>
    /// Whether the pod is ready as its record on disk says: the runtime counts a pod ready (the rollout `up` waits for)
    /// only once `exec` and `logs` can find it so, never in the moment between a probe's success and the record's write.
    /// </summary>
    public bool Ready => _published?.Record.Ready ?? false;

    public void Start()
    {
        Directory.CreateDirectory(Plan.Directory);
        Directory.CreateDirectory(Path.Combine(Plan.Directory, "logs"));
        Publish();
        // The sidecar first, as Istio's holdApplicationUntilProxyStarts would: the app's first
        // outbound call then finds its proxy listening.
        foreach (var container in _containers.Values.OrderByDescending(c => c.Plan.IsSidecar))
        {
            _tasks.Add(Task.Run(() => SuperviseAsync(container, _stopping.Token)));
        }
        _tasks.Add(Task.Run(() => ProbeLoopAsync(_stopping.Token)));
    }

    private async Task SuperviseAsync(ContainerState container, CancellationToken stopping)
    {
        var backoff = TimeSpan.FromSeconds(1);
        if (!container.Plan.IsSidecar && _containers.Values.FirstOrDefault(c => c.Plan.IsSidecar) is { } sidecar)
        {
            // Give the sidecar a head start (bounded), so the app's first calls go through it.
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!sidecar.Ready && DateTime.UtcNow < until && !stopping.IsCancellationRequested)
            {
                await Delay(TimeSpan.FromMilliseconds(100), stopping).ConfigureAwait(false);
            }
        }
        while (!stopping.IsCancellationRequested)
        {
            Process process;
            var started = DateTime.UtcNow;
            try
            {
                if (container.Plan.IsSidecar && _bootstrapToken is not null)
                {
                    await _bootstrapToken.WriteFreshAsync(stopping).ConfigureAwait(false);
                }
                process = ProcessLauncher.Start(container.Plan.Launch);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log($"pod {Plan.Namespace}/{Plan.Name}: container {container.Plan.Name} could not start: {e.Message}");
                _events.FailedToStart(Plan.Namespace, Plan.Name, container.Plan.Name, e.Message);
                lock (_gate) { container.State = "waiting"; container.Reason = "CreateContainerError"; }
                Publish();
                await Delay(backoff, stopping).ConfigureAwait(false);
                backoff = Next(backoff);
                continue;
            }
            lock (_gate) { container.Process = process; container.State = "running"; container.Reason = null; }
            _events.Started(Plan.Namespace, Plan.Name, container.Plan.Name);
            Publish();
            try
            {
                await process.WaitForExitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            var code = process.ExitCode;
            process.Dispose();
            lock (_gate)
            {
                container.Process = null;
                container.Ready = false;
                container.Restarts++;
                container.State = "waiting";
                container.Reason = container.Restarts > 1 ? "CrashLoopBackOff" : null;
            }
            _log($"pod {Plan.Namespace}/{Plan.Name}: container {container.Plan.Name} exited with code {code}; restarting in {backoff.TotalSeconds:0}s");
            _events.BackOff(Plan.Namespace, Plan.Name, container.Plan.Name);
            Publish();
            if (DateTime.UtcNow - started > TimeSpan.FromMinutes(1)) backoff = TimeSpan.FromSeconds(1);
            await Delay(backoff, stopping).ConfigureAwait(false);
            backoff = Next(backoff);
        }
    }

    private static TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));

    private static async Task Delay(TimeSpan delay, CancellationToken cancellationToken)
    {
        try { await Task.Delay(delay, cancellationToken).ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    /// <summary>
    /// Probes every running container as the kubelet does: its readinessProbe decides whether it
    /// is ready (without one it is ready once running; the sidecar answers on /ready), and a
    /// failing livenessProbe kills it so that it is restarted and counted.
    /// </summary>
    private async Task ProbeLoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var changed = false;
            foreach (var container in _containers.Values)
            {
                Process? process;
                lock (_gate) process = container.Process;
                var ready = process is not null && await ProbeAsync(container, process, stopping).ConfigureAwait(false);
                lock (_gate)
                {
                    // A process that exited between the check and now is not ready.
                    ready &= container.Process is not null && container.Process == process;
                    if (ready != container.Ready) { container.Ready = ready; changed = true; }
                }
            }
            if (changed) Publish();
            if (_bootstrapToken is not null && _containers.Values.Any(c => c.Plan.IsSidecar && c.Process is not null))
                await _bootstrapToken.RefreshIfSpentAsync(stopping).ConfigureAwait(false);
            await Delay(TimeSpan.FromMilliseconds(Ready ? 1000 : 200), stopping).ConfigureAwait(false);
        }
    }

    /// <summary>One pass over a running container's probes; returns whether it is ready.</summary>
    private async Task<bool> ProbeAsync(ContainerState container, Process process, CancellationToken stopping)
    {
        var plan = container.Plan;
        var now = DateTime.UtcNow;
        if (container.ProbedProcess != process)
        {
            // A new run of the container starts its probes afresh, initial delay included.
            container.ProbedProcess = process;
            container.Readiness = plan.Readiness is { } r ? new ProbeCounter(r.Probe, now, passing: false) : null;
            container.Liveness = plan.Liveness is { } l ? new ProbeCounter(l.Probe, now, passing: true) : null;
            container.SidecarFailures = 0;
        }
        if (plan.Liveness is { } liveness && container.Liveness is { } alive && alive.IsDue(now)
            && !alive.Record(Reported(await ContainerProber.ProbeAsync(liveness, World(plan, Pid(process)), stopping).ConfigureAwait(false), plan.Name, "Liveness"), DateTime.UtcNow))
        {
            _log($"pod {Plan.Namespace}/{Plan.Name}: container {plan.Name} failed liveness probe, will be restarted");
            _events.Killing(Plan.Namespace, Plan.Name, plan.Name, "failed liveness probe");
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            return false;
        }
        if (plan.ReadinessUrl is not null)
        {
            if (await SidecarReadyAsync(plan.ReadinessUrl, stopping).ConfigureAwait(false))
            {
                container.SidecarFailures = 0;
                return true;
            }
            container.SidecarFailures++;
            return container.Ready && container.SidecarFailures < SidecarFailureThreshold;
        }
        if (plan.Readiness is not { } readiness || container.Readiness is not { } counter) return true;
        return counter.IsDue(now)
            ? counter.Record(Reported(await ContainerProber.ProbeAsync(readiness, World(plan, Pid(process)), stopping).ConfigureAwait(false), plan.Name, "Readiness"), DateTime.UtcNow)
            : counter.Passing;
    }

    /// <summary>A failed probe attempt is an Unhealthy event, as the kubelet reports each one.</summary>
    private bool Reported(bool success, string container, string probe)
    {
        if (!success) _events.ProbeFailed(Plan.Namespace, Plan.Name, container, probe);
        return success;
    }

    private static async Task<bool> SidecarReadyAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SidecarReadyClient.GetAsync(url, cancellationToken).ConfigureAwait(false);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// The pod is on its way out (draining before its containers stop): its record says Terminating from now on, so
    /// `get pods` and `rollout status` count it as old, as Kubernetes does from a pod's deletionTimestamp.
    /// </summary>
    public void MarkTerminating()
    {
        lock (_gate) _terminating = true;
        Publish();
    }

    /// <summary>Stops all containers: the app first, then its sidecar, so the app's last calls still go out.</summary>
    public async Task StopAsync()
    {
        lock (_gate) _terminating = true;
        Publish();
        await _stopping.CancelAsync().ConfigureAwait(false);
        var grace = TimeSpan.FromSeconds(5);
        foreach (var group in _containers.Values.GroupBy(c => c.Plan.IsSidecar).OrderBy(g => g.Key))
        {
            await Task.WhenAll(group.Select(c =>
            {
                Process? process;
                lock (_gate) process = c.Process;
                if (process is null) return Task.CompletedTask;
                _events.Killing(Plan.Namespace, Plan.Name, c.Plan.Name, "");
                return ProcessLauncher.StopAsync(process, grace);
            })).ConfigureAwait(false);
        }
        try { await Task.WhenAll(_tasks).ConfigureAwait(false); } catch (OperationCanceledException) { }
        lock (_gate)
        {
            foreach (var c in _containers.Values) { c.Process?.Dispose(); c.Process = null; c.Ready = false; c.State = "terminated"; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
