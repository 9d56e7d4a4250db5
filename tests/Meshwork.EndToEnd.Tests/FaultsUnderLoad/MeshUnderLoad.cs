using Meshwork.Api;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.Reliability.Tests.FaultsUnderLoad;
using Meshwork.Runtime.Pods;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.FaultsUnderLoad;

/// <summary>
/// A local mesh (loopback mode) with httpbin and sleep in namespace foo, both with sidecars, for faults under a
/// steady load: requests go from this process through sleep's sidecar (its http_proxy) to httpbin.foo over mTLS,
/// as sleep's own calls would.
/// </summary>
public class MeshUnderLoad : MeshFixture
{
    public static readonly Uri Target = new("http://httpbin.foo:8000/ip");
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    protected override string PodNetwork => "loopback";

    public override async Task InitializeAsync()
    {
        var namespaces = Path.Combine(StatePath, "namespaces.yaml");
        await File.WriteAllTextAsync(namespaces, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n  labels:\n    istio-injection: enabled\n");
        await UpAsync(namespaces);
        await ApplyAsync(Sample("mtls-migration/httpbin.yaml"));
        await ApplyAsync(Sample("mtls-migration/sleep.yaml"));
        await MustAsync("rollout", "status", "deployment/httpbin", "-n", "foo", "--timeout", "180");
        await MustAsync("rollout", "status", "deployment/sleep", "-n", "foo", "--timeout", "180");
        await Mw.EventuallyAsync(async () => await OneRequestAsync() == 200, Patience, () => Task.FromResult(Logs()));
    }

    /// <summary>`apply -n foo -f FILE`, once more if the CLI's request timed out on a starved machine (apply is idempotent).</summary>
    private async Task ApplyAsync(string file)
    {
        if ((await RunAsync("apply", "-n", "foo", "-f", file)).ExitCode == 0) return;
        await MustAsync("apply", "-n", "foo", "-f", file);
    }

    /// <summary>sleep's sidecar outbound listener: the http_proxy the runtime gave the sleep container.</summary>
    public Uri SleepProxy()
    {
        var pod = Pods("foo").Single(p => p.Deployment == "sleep" && p.Ready);
        return new Uri(pod.Containers.Single(c => c.Name == "sleep").Environment["http_proxy"]);
    }

    public PodRecord ReadyPod(string deployment) => Pods("foo").Single(p => p.Deployment == deployment && p.Ready);

    public int ControlPlanePid => ServerInfo.Read(State)?.Pid ?? throw new InvalidOperationException("no control plane recorded");

    /// <summary>Runs <paramref name="fault"/> while a steady load runs, and a few seconds of load after it.</summary>
    public async Task<SteadyLoad> UnderLoadAsync(Func<Task> fault, TimeSpan settle)
    {
        var load = new SteadyLoad();
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(SleepProxy(), Target, workers: 4, pause: TimeSpan.FromMilliseconds(20), stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await fault();
        await Task.Delay(settle);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromMinutes(2));
        return load;
    }

    /// <summary>One GET of <see cref="Target"/> through sleep's sidecar (its http_proxy, found now unless given): the status code, 0 when it failed.</summary>
    public async Task<int> OneRequestAsync(Uri? sleepProxy = null)
    {
        using var handler = new SocketsHttpHandler { Proxy = new System.Net.WebProxy(sleepProxy ?? SleepProxy()), UseProxy = true };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        try { return (int)(await http.GetAsync(Target)).StatusCode; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return 0; }
    }
}
