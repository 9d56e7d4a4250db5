using System.Collections.Immutable;
using Meshwork.Api;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.Model.Resources;
using Meshwork.Runtime;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>
/// The runtime against an in-memory config API: real processes (the sample httpbin, sleep), real
/// curl, real `meshwork exec`; no control plane and no proxies.
/// </summary>
[Trait(PodNetworkPass.Trait, PodNetworkPass.LoopbackMode)]
public sealed partial class RuntimeHostTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly TemporaryDirectory _state = new();
    private readonly InMemoryMeshApi _api = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _runtime;
    private readonly List<string> _log = [];

    public Task InitializeAsync()
    {
        _api.Store(Namespace("demo"));
        var host = new RuntimeHost(new RuntimeOptions
        {
            State = new StateDirectory(_state.Path),
            Api = _api,
            MeshworkExecutable = Mw.Executable,
            NetworkProxy = false,
            PodNetwork = Meshwork.Runtime.Network.PodNetworkMode.Loopback,
            ResyncInterval = TimeSpan.FromMilliseconds(300),
            Log = line => { lock (_log) _log.Add(line); },
            Events = _events,
        });
        _runtime = Task.Run(() => host.RunAsync(_stop.Token));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_runtime is not null) await _runtime.WaitAsync(TimeSpan.FromSeconds(60));
        _stop.Dispose();
        _state.Dispose();
    }

    [Fact]
    public async Task Runs_a_deployment_as_processes_on_the_pods_own_loopback_address()
    {
        _api.Store(HttpBin(replicas: 1));
        var pod = await ReadyPodAsync("httpbin");

        Assert.Matches(@"^httpbin-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}$", pod.Metadata.Name);
        Assert.StartsWith("127.1.", pod.Status.PodIP);
        Assert.Equal("Running", pod.Status.Phase);
        Assert.True(pod.Metadata.Labels.ContainsKey("pod-template-hash"));
        Assert.Equal("httpbin", pod.Metadata.Labels["app"]);
        Assert.False(pod.Metadata.Labels.ContainsKey("security.istio.io/tlsMode"));

        var curl = await Mw.RunProcessAsync("curl", ["-s", "-m", "10", $"http://{pod.Status.PodIP}:8080/ip"], TimeSpan.FromSeconds(30));
        Assert.Equal(0, curl.ExitCode);
        Assert.Contains("\"origin\"", curl.Stdout);
    }

    [Fact]
    public async Task Exec_runs_in_the_pods_environment_and_passes_the_exit_code_through()
    {
        _api.Store(HttpBin(replicas: 1));
        var pod = await ReadyPodAsync("httpbin");

        var env = await Mw.RunAsync(_state.Path, "exec", "-n", "demo", "deploy/httpbin", "--", "sh", "-c", "echo $POD_NAME $POD_NAMESPACE $POD_IP $HOST $PORT $PORT_8080 $GREETING; command -v meshwork");
        Assert.True(env.ExitCode == 0, env.ToString());
        var words = env.Stdout.Split([' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([pod.Metadata.Name, "demo", pod.Status.PodIP!, pod.Status.PodIP!, "8080", "8080", $"hello-{pod.Metadata.Name}", Mw.Executable], words);

        var failed = await Mw.RunAsync(_state.Path, "exec", "-n", "demo", pod.Metadata.Name, "--", "sh", "-c", "exit 3");
        Assert.Equal(3, failed.ExitCode);
        Assert.Contains("command terminated with exit code 3", failed.Stderr);

        var logs = await Mw.RunAsync(_state.Path, "logs", "-n", "demo", "deploy/httpbin");
        Assert.Contains("httpbin listening on", logs.Stdout);
    }

    [Fact]
    public async Task Restarts_a_killed_workload_and_counts_the_restart()
    {
        _api.Store(Sleep(replicas: 1));
        var pod = await ReadyPodAsync("sleep");
        var record = PodRecord.List(new StateDirectory(_state.Path), "demo").Single(p => p.Name == pod.Metadata.Name);
        var pid = record.Containers.Single().Pid!.Value;

        Assert.True(Posix.Signal(pid, Posix.SigKill));

        await Mw.EventuallyAsync(() => Task.FromResult(
                _api.Pods("demo").SingleOrDefault() is { } p && p.Metadata.Name == pod.Metadata.Name
                && p.Status.ContainerStatuses.Single().RestartCount == 1 && p.Status.ContainerStatuses.Single().Ready),
            Patience, Describe);
        var restarted = PodRecord.List(new StateDirectory(_state.Path), "demo").Single();
        Assert.NotEqual(pid, restarted.Containers.Single().Pid);
    }

    [Fact]
    public async Task Scales_replaces_on_template_change_and_removes_deleted_deployments()
    {
        _api.Store(Sleep(replicas: 2));
        await Mw.EventuallyAsync(() => Task.FromResult(_api.Pods("demo").Count(IsReady) == 2), Patience, Describe);
        var first = _api.Pods("demo").Select(p => p.Metadata.Name).ToHashSet();
        var ips = _api.Pods("demo").Select(p => p.Status.PodIP).ToHashSet();
        Assert.Equal(2, ips.Count);

        // A rollout restart: the template changes, so every pod is replaced.
        var restarted = Sleep(replicas: 2);
        restarted = restarted with
        {
            Spec = restarted.Spec with
            {
                Template = restarted.Spec.Template with
                {
                    Annotations = restarted.Spec.Template.Annotations.SetItem("kubectl.kubernetes.io/restartedAt", "2026-01-01T00:00:00Z"),
                },
            },
        };
        _api.Store(restarted);
        await Mw.EventuallyAsync(() => Task.FromResult(
            _api.Pods("demo") is var pods && pods.Length == 2 && pods.All(IsReady) && !pods.Any(p => first.Contains(p.Metadata.Name))), Patience, Describe);

        await _api.DeleteAsync("Deployment", "demo", "sleep");
        await Mw.EventuallyAsync(() => Task.FromResult(_api.Pods("demo").IsEmpty && PodRecord.List(new StateDirectory(_state.Path), "demo").Count == 0), Patience, Describe);
    }

    private static bool IsReady(Pod pod) => pod.Status.ContainerStatuses.Length > 0 && pod.Status.ContainerStatuses.All(c => c.Ready);

    private async Task<Pod> ReadyPodAsync(string deployment)
    {
        Pod? ready = null;
        await Mw.EventuallyAsync(() =>
        {
            ready = _api.Pods("demo").FirstOrDefault(p => p.Metadata.Name.StartsWith(deployment + "-", StringComparison.Ordinal) && IsReady(p));
            return Task.FromResult(ready is not null);
        }, Patience, Describe);
        return ready!;
    }

    private Task<string> Describe()
    {
        lock (_log) return Task.FromResult(string.Join('\n', _log) + "\n" + _state.ReadLogs());
    }

    private static Namespace Namespace(string name) => new() { ApiVersion = "v1", Metadata = new ObjectMeta { Name = name } };

    private static ImmutableSortedDictionary<string, string> Labels(string app) => ImmutableSortedDictionary.CreateRange([KeyValuePair.Create("app", app)]);

    private static Deployment HttpBin(int replicas) => Deployment("httpbin", replicas, new Container
    {
        Name = "httpbin",
        Command = ["meshwork", "sample", "httpbin"],
        Env = [new EnvVar("GREETING", "hello-$(POD_NAME)")],
        Ports = [new ContainerPort { Port = 8080 }],
        // As in Kubernetes, a container is ready once running unless a probe says otherwise.
        ReadinessProbe = new Probe { TcpSocket = new TcpSocketAction { Port = IntOrString.Of(8080) }, PeriodSeconds = 1 },
    });

    private static Deployment Sleep(int replicas) => Deployment("sleep", replicas, new Container { Name = "sleep", Command = ["sleep", "infinity"] });

    private static Deployment Deployment(string name, int replicas, Container container) => new()
    {
        ApiVersion = "apps/v1",
        Metadata = new ObjectMeta { Name = name, Namespace = "demo" },
        Spec = new DeploymentSpec
        {
            Replicas = replicas,
            Selector = new LabelSelector(Labels(name)),
            Template = new PodTemplate { Labels = Labels(name), Spec = new PodSpec { Containers = [container] } },
        },
    };
}
