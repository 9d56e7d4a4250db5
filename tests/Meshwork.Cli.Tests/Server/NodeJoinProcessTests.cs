using Xunit.Abstractions;
using static Meshwork.Cli.Tests.Server.ReplicaProcesses;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// Hosts that join a shared control plane with `meshwork node join`: each is a Node in `get nodes`, a Deployment's
/// replicas spread over them, a template's nodeName is honoured, and `get pods -o wide` shows where each pod runs.
/// </summary>
public sealed class NodeJoinProcessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ReplicaProcesses _mesh = new();
    private readonly List<RuntimeNode> _nodes = [];

    public Task InitializeAsync() => _mesh.StartPostgresAsync();

    public async Task DisposeAsync()
    {
        foreach (var node in _nodes) await node.DisposeAsync();
        await _mesh.DisposeAsync();
    }

    [Fact]
    public async Task Two_joined_nodes_are_listed_and_share_a_deployments_replicas_and_a_pinned_pod_runs_where_it_is_pinned()
    {
        var (store, key) = await _mesh.CreateMeshAsync();
        var a = await _mesh.StartServerAsync("a", store, key);
        var b = await _mesh.StartServerAsync("b", store, key);
        var replicas = $"{a.Url},{b.Url}";

        _nodes.Add(RuntimeNode.Join(_mesh, a.State, replicas, "node-1"));
        await EventuallyAsync(async () => (await RunAsync(a.State, "get", "nodes")).Stdout.Contains("node-1", StringComparison.Ordinal), $"node-1 is registered\n{_nodes[0]}");
        _nodes.Add(RuntimeNode.Join(_mesh, a.State, replicas, "node-2"));
        await EventuallyAsync(async () => ReadyNodes((await RunAsync(b.State, "get", "nodes", "-o", "wide")).Stdout) == 2, $"both nodes are Ready\n{_nodes[1]}");
        var wide = await RunAsync(b.State, "get", "nodes", "-o", "wide");
        output.WriteLine(wide.Stdout);
        var ranges = wide.Stdout.Split('\n').Skip(1).Where(l => l.Length > 0).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1]).ToList();
        Assert.Equal(2, ranges.Distinct().Count());

        var manifest = _mesh.Write("spread.yaml", """
            apiVersion: v1
            kind: Namespace
            metadata: {name: bar}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: bar}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - {name: web, image: docker.io/kong/httpbin, command: [meshwork, sample, httpbin], ports: [{containerPort: 8080}]}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: pinned, namespace: bar}
            spec:
              replicas: 1
              selector: {matchLabels: {app: pinned}}
              template:
                metadata: {labels: {app: pinned}}
                spec:
                  nodeSelector: {kubernetes.io/hostname: node-2}
                  containers:
                  - {name: pinned, image: docker.io/kong/httpbin, command: [meshwork, sample, httpbin], ports: [{containerPort: 8080}]}
            """);
        var applied = await RunAsync(a.State, "--server", replicas, "apply", "-f", manifest);
        Assert.True(applied.ExitCode == 0, applied.Stderr);

        string pods = "";
        await EventuallyAsync(async () =>
        {
            pods = (await RunAsync(a.State, "get", "pods", "-n", "bar", "-o", "wide")).Stdout;
            var running = Rows(pods).Where(r => r[2] == "Running").ToList();
            return running.Count == 3;
        }, $"three pods run\n{string.Join('\n', _nodes)}");
        output.WriteLine(pods);
        var rows = Rows(pods);
        Assert.Equal(["node-1", "node-2"], rows.Where(r => r[0].StartsWith("web-", StringComparison.Ordinal)).Select(r => r[6]).Order());
        Assert.Equal("node-2", Assert.Single(rows, r => r[0].StartsWith("pinned-", StringComparison.Ordinal))[6]);
        // Each pod's address is of its node's range: no two hosts hand out the same pod IP.
        Assert.Equal(3, rows.Select(r => r[5]).Distinct().Count());
    }

    private static int ReadyNodes(string table) => Rows(table).Count(r => r.Length > 1 && r[1] == "Ready");

    private static List<string[]> Rows(string table) =>
        [.. table.Split('\n').Skip(1).Where(l => l.Trim().Length > 0).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))];
}
