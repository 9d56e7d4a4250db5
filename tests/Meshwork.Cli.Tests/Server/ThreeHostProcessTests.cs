using System.Globalization;
using Xunit.Abstractions;
using static Meshwork.Cli.Tests.Server.ReplicaProcesses;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// The mesh across three hosts (network namespaces joined by a bridge), two control-plane replicas on one PostgreSQL:
/// seed 003's matrix with sleep and httpbin on different hosts, then a steady load between hosts while the replica
/// every proxy streams from is SIGKILLed, STRICT is applied through the other, and the killed one comes back.
/// </summary>
public sealed class ThreeHostProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int LoadPerSecond = 100;
    private readonly ReplicaProcesses _mesh = new();
    private readonly List<RuntimeNode> _nodes = [];
    private HostNetwork? _network;

    public async Task InitializeAsync()
    {
        _network = HostNetwork.Create(3);
        await _mesh.StartPostgresAsync();
    }

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await _mesh.DisposeAsync();
        _network?.Dispose();
    }

    [Fact]
    public async Task Sleep_and_httpbin_on_different_hosts_keep_answering_while_a_replica_is_killed_and_STRICT_reaches_every_proxy_through_the_other()
    {
        var hosts = _network!.Hosts;
        var (store, key) = await _mesh.CreateMeshAsync();
        // PostgreSQL listens on this machine's loopback; a replica's host reaches it through a relay on its own loopback.
        RelayPostgres(hosts[0]);
        RelayPostgres(hosts[1]);
        var a = await _mesh.StartServerAsync("a", store, key, hosts[0]);
        var b = await _mesh.StartServerAsync("b", store, key, hosts[1]);
        var replicas = $"{a.Url},{b.Url}";
        output.WriteLine($"{_network}; replicas {replicas}");

        // Three hosts join at the same instant: each claims a pod range of its own.
        for (var i = 0; i < 3; i++) _nodes.Add(RuntimeNode.Join(_mesh, a.State, replicas, $"node-{i + 1}", hosts[i]));
        await EventuallyAsync(async () => (await StatusAsync(a.State, replicas, hosts[0].Name)).Nodes.Count(n => n.Ready) == 3,
            $"three nodes are Ready\n{string.Join('\n', _nodes)}");
        var status = await RunInAsync(hosts[0].Name, a.State, "--server", replicas, "status");
        output.WriteLine(status.Stdout);
        var nodes = (await StatusAsync(a.State, replicas, hosts[0].Name)).Nodes;
        Assert.Equal(3, nodes.Select(n => n.PodCidr).Distinct().Count());
        Assert.All(nodes, n => Assert.Equal(hosts[int.Parse(n.Name[^1..], CultureInfo.InvariantCulture) - 1].Address.ToString(), n.InternalIp));

        await ApplyAsync(hosts[0], a.State, replicas, "namespaces.yaml", ThreeHostManifests.Namespaces);
        await ApplyAsync(hosts[0], a.State, replicas, "workloads.yaml", string.Join("\n---\n",
            ThreeHostManifests.Httpbin("foo", "node-2"), ThreeHostManifests.Httpbin("bar", "node-3"),
            ThreeHostManifests.Sleep("foo", "node-1"), ThreeHostManifests.Sleep("bar", "node-3"), ThreeHostManifests.Sleep("legacy", "node-1")));
        var sleepOn = new Dictionary<string, RuntimeNode> { ["foo"] = _nodes[0], ["bar"] = _nodes[2], ["legacy"] = _nodes[0] };

        // Seed 003, before any policy: every pair answers 200, sleep.foo and sleep.legacy from another host than either httpbin.
        foreach (var from in new[] { "foo", "bar", "legacy" })
        {
            foreach (var to in new[] { "foo", "bar" })
            {
                await EventuallyAsync(async () => await CurlAsync(sleepOn[from], from, to) == "200",
                    $"sleep.{from} to httpbin.{to}: 200\n{string.Join('\n', _nodes)}", seconds: 300);
                output.WriteLine($"sleep.{from} to httpbin.{to}: 200");
            }
        }
        var pods = await RunInAsync(hosts[0].Name, a.State, "--server", replicas, "get", "pods", "-A", "-o", "wide");
        output.WriteLine(pods.Stdout);
        // Across hosts the sidecars speak mTLS: httpbin.foo on node-2 sees sleep.foo's identity from node-1.
        var headers = await RunAsync(_nodes[0].State, "exec", "-n", "foo", "deploy/sleep", "--", "curl", "-s", "--max-time", "10", "http://httpbin.foo:8000/headers");
        Assert.Contains("URI=spiffe://cluster.local/ns/foo/sa/sleep", headers.Stdout, StringComparison.Ordinal);

        // Every sidecar streams from the first replica of its list.
        await EventuallyAsync(async () => (await ProxiesAsync(a, hosts[0].Name)).Count(p => p.Status == "SYNCED") == 4, "the four sidecars stream from replica a");

        // Between hosts: sleep.foo on node-1 calls httpbin.foo on node-2, through both sidecars, with mTLS.
        await using var load = PodCurlLoad.Start(_nodes[0].State, "foo", "sleep", "http://httpbin.foo:8000/ip", LoadPerSecond, requests: 120_000);
        await EventuallyAsync(() => Task.FromResult(load.Succeeded >= 100 || !load.Running), "the load runs");

        var killedAt = DateTimeOffset.UtcNow;
        await KillAsync(a.Process);
        output.WriteLine($"{killedAt:HH:mm:ss.fff} replica a killed (load so far: {load.Succeeded} answered)");
        var strict = _mesh.Write("strict.yaml", ThreeHostManifests.MeshStrict);
        var applied = await RunInAsync(hosts[1].Name, a.State, "--server", b.Url, "apply", "-f", strict);
        Assert.True(applied.ExitCode == 0, $"STRICT through replica b: exit {applied.ExitCode}: {applied.Stderr}");
        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} STRICT applied through replica b");

        // Every proxy moves to replica b; the time each took is what the proxies' streams show there.
        await EventuallyAsync(async () => (await ProxiesAsync(b, hosts[1].Name)).Count(p => p.ConnectedAt > killedAt) == 4,
            $"the four sidecars stream from replica b\n{string.Join('\n', _nodes)}");
        foreach (var proxy in (await ProxiesAsync(b, hosts[1].Name)).OrderBy(p => p.ConnectedAt))
        {
            output.WriteLine($"{proxy.Pod}.{proxy.Namespace}: on replica b {(proxy.ConnectedAt - killedAt).TotalSeconds:F1} s after replica a was killed");
        }

        // The killed replica comes back on its address and is ready again.
        a = await _mesh.StartServerAsync("a", store, key, hosts[0]);
        await EventuallyAsync(async () => (await RunInAsync(hosts[0].Name, a.State, "--server", a.Url, "status")).ExitCode == 0, "replica a is ready again");
        output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} replica a is back and ready");

        // STRICT reached the destinations: plaintext from legacy is refused on both hosts, mTLS from the sidecars still answers.
        foreach (var to in new[] { "foo", "bar" })
        {
            await EventuallyAsync(async () => await CurlAsync(sleepOn["legacy"], "legacy", to) == "000", $"sleep.legacy to httpbin.{to}: refused under STRICT");
            output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} sleep.legacy to httpbin.{to}: 000 (STRICT)");
            foreach (var from in new[] { "foo", "bar" }) Assert.Equal("200", await CurlAsync(sleepOn[from], from, to));
        }
        // And every proxy holds the snapshot replica b sent it last (b pushed STRICT to the destinations above).
        await EventuallyAsync(async () => (await ProxiesAsync(b, hosts[1].Name)).Count(p => p.Status == "SYNCED") == 4, "every proxy is SYNCED on replica b");

        output.WriteLine((await RunInAsync(hosts[1].Name, a.State, "--server", b.Url, "status")).Stdout);

        var before = load.Succeeded;
        await EventuallyAsync(() => Task.FromResult(load.Succeeded >= before + 100 || !load.Running), "the load runs on after replica a is back");
        await load.StopAsync();
        output.WriteLine($"load: {load.Succeeded} requests answered 200 in {load.Elapsed.TotalSeconds:F0} s ({load.Succeeded / load.Elapsed.TotalSeconds:F0}/s, at most {LoadPerSecond}/s asked), {load.Failures.Count} failed");
        if (load.Failures.Count > 0) Assert.Fail($"{load.Failures.Count} requests failed, from {load.Failures.First()} to {load.Failures.Last()}\n{Diagnostics()}");
        Assert.True(load.Succeeded >= before + 100, $"the load stopped early: {load.Succeeded} answered");
    }

    /// <summary>What a failed run needs to be understood: each runtime's log and the tail of every sidecar's log.</summary>
    private string Diagnostics()
    {
        var text = new System.Text.StringBuilder();
        foreach (var node in _nodes)
        {
            text.AppendLine(node.ToString());
            var pods = Path.Combine(node.State.Root, "pods");
            if (!Directory.Exists(pods)) continue;
            foreach (var log in Directory.EnumerateFiles(pods, "istio-proxy.log", SearchOption.AllDirectories))
            {
                text.AppendLine($"--- {Path.GetRelativePath(node.State.Root, log)}");
                foreach (var line in File.ReadLines(log).TakeLast(60)) text.AppendLine(line);
            }
        }
        return text.ToString();
    }

    private void RelayPostgres(HostNetwork.Host host)
    {
        var postgres = _mesh.Postgres;
        var socket = Path.Combine(Path.GetDirectoryName(postgres.DataDirectory)!, $".s.PGSQL.{postgres.Port.ToString(CultureInfo.InvariantCulture)}");
        _mesh.StartProgram("socat", [$"TCP-LISTEN:{postgres.Port.ToString(CultureInfo.InvariantCulture)},bind=127.0.0.1,reuseaddr,fork", $"UNIX-CONNECT:{socket}"],
            environment: null, out _, host.Name);
    }

    private async Task ApplyAsync(HostNetwork.Host host, Meshwork.Api.StateDirectory state, string replicas, string file, string yaml)
    {
        var applied = await RunInAsync(host.Name, state, "--server", replicas, "apply", "-f", _mesh.Write(file, yaml));
        Assert.True(applied.ExitCode == 0, $"apply {file}: exit {applied.ExitCode}: {applied.Stderr}");
    }

    /// <summary>seed 003's probe: curl from the sleep pod of <paramref name="from"/> to httpbin.<paramref name="to"/>, its status code.</summary>
    private static async Task<string> CurlAsync(RuntimeNode node, string from, string to)
    {
        var result = await RunAsync(node.State, "exec", "-n", from, "deploy/sleep", "--",
            "curl", "-s", "-o", "/dev/null", "--max-time", "10", "-w", "%{http_code}", $"http://httpbin.{to}:8000/ip");
        return result.Stdout.Trim();
    }
}
