using System.Net;
using System.Net.Sockets;
using Meshwork.Api;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.Reliability.Tests.FaultsUnderLoad;
using Meshwork.Runtime.Pods;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.FaultsUnderLoad;

/// <summary>
/// A local mesh with httpbin and sleep in namespace foo, both with sidecars, for faults under a steady load: requests
/// go to httpbin.foo over mTLS through sleep's sidecar, as sleep's own calls would. In loopback mode they go from this
/// process through sleep's http_proxy; in the pod network mode from inside sleep's pod (the host is no pod), where
/// the capture hands them to the sidecar. The pod network mode adds a sleep without sidecar in namespace legacy: the
/// plaintext client that loopback mode's host plays.
/// </summary>
public class MeshUnderLoad : MeshFixture
{
    public static readonly Uri Target = new("http://httpbin.foo:8000/ip");
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    public override async Task InitializeAsync()
    {
        var namespaces = Path.Combine(StatePath, "namespaces.yaml");
        await File.WriteAllTextAsync(namespaces,
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: foo\n  labels:\n    istio-injection: enabled\n---\n" +
            "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: legacy\n");
        await UpAsync(namespaces);
        await ApplyAsync("foo", Sample("mtls-migration/httpbin.yaml"));
        await ApplyAsync("foo", Sample("mtls-migration/sleep.yaml"));
        if (IsolatesPods) await ApplyAsync("legacy", Sample("mtls-migration/sleep.yaml"));
        await MustAsync("rollout", "status", "deployment/httpbin", "-n", "foo", "--timeout", "180");
        await MustAsync("rollout", "status", "deployment/sleep", "-n", "foo", "--timeout", "180");
        if (IsolatesPods) await MustAsync("rollout", "status", "deployment/sleep", "-n", "legacy", "--timeout", "180");
        await Mw.EventuallyAsync(async () => await OneRequestAsync() == 200, Patience, () => Task.FromResult(Logs()));
    }

    /// <summary>`apply -n NS -f FILE`, once more if the CLI's request timed out on a starved machine (apply is idempotent).</summary>
    private async Task ApplyAsync(string @namespace, string file)
    {
        if ((await RunAsync("apply", "-n", @namespace, "-f", file)).ExitCode == 0) return;
        await MustAsync("apply", "-n", @namespace, "-f", file);
    }

    /// <summary>An HTTP client handler that sends as sleep.foo: through its http_proxy (loopback mode) or from inside its pod.</summary>
    public async Task<HttpMessageHandler> SleepClientAsync()
    {
        var sleep = ReadyPod("sleep");
        if (IsolatesPods) return (await PodClient.InAsync(State, sleep)).HttpHandler();
        var proxy = new Uri(sleep.Containers.Single(c => c.Name == "sleep").Environment["http_proxy"]);
        return new SocketsHttpHandler { Proxy = new WebProxy(proxy), UseProxy = true };
    }

    /// <summary>A plaintext TCP connection from outside the mesh: from the legacy pod (pod network mode) or this host (loopback mode).</summary>
    public async Task<Socket> ConnectFromOutsideTheMeshAsync(IPEndPoint endPoint, CancellationToken cancel)
    {
        // PodClient bounds its connect at 30 s.
        if (IsolatesPods) return await (await LegacyClientAsync()).ConnectAsync(endPoint);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancel);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private Task<PodClient>? _legacy;

    /// <summary>The legacy pod's client, found once (the pod stays for the fixture's life; thousands of connections share it).</summary>
    private Task<PodClient> LegacyClientAsync() => _legacy ??= FindLegacyClientAsync();

    // The runtime counts a pod ready only once its record says so: after the rollout, the record is there to read.
    private Task<PodClient> FindLegacyClientAsync() =>
        PodClient.InAsync(State, Pods("legacy").Single(p => p.Deployment == "sleep" && p.Ready));

    /// <summary>The port on a pod's IP where this host reads a sidecar's /stats/prometheus: the metrics listener in the pod network mode, the admin one in loopback mode.</summary>
    public int StatsPort => IsolatesPods ? PodEnvironmentSettings.SidecarMetricsPort : PodEnvironmentSettings.SidecarAdminPort;

    public PodRecord ReadyPod(string deployment) => Pods("foo").Single(p => p.Deployment == deployment && p.Ready);

    public int ControlPlanePid => ServerInfo.Read(State)?.Pid ?? throw new InvalidOperationException("no control plane recorded");

    /// <summary>Runs <paramref name="fault"/> while a steady load runs, and a few seconds of load after it.</summary>
    public async Task<SteadyLoad> UnderLoadAsync(Func<Task> fault, TimeSpan settle)
    {
        var load = new SteadyLoad();
        using var stop = new CancellationTokenSource();
        var running = load.RunAsync(await SleepClientAsync(), Target, workers: 4, pause: TimeSpan.FromMilliseconds(20), stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await fault();
        await Task.Delay(settle);
        await stop.CancelAsync();
        await running.WaitAsync(TimeSpan.FromMinutes(2));
        return load;
    }

    /// <summary>One GET of <see cref="Target"/> as sleep.foo: the status code, 0 when it failed.</summary>
    public async Task<int> OneRequestAsync()
    {
        using var http = new HttpClient(await SleepClientAsync(), disposeHandler: true) { Timeout = TimeSpan.FromSeconds(20) };
        try { return (int)(await http.GetAsync(Target)).StatusCode; }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { return 0; }
    }
}
