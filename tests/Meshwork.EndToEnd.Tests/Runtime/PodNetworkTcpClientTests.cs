using System.Text;
using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>
/// Clients that know nothing of http_proxy, in the pod network mode: Debian's PostgreSQL server in a meshed pod of the
/// STRICT namespace db (initdb'd into a temporary folder by the pod's own user, who is not root) with a TCP echo
/// (socat) beside it, and a meshed client pod running psql and nc against the Services' names.
/// </summary>
public sealed class PostgresPodNetworkMesh : MeshFixture
{
    protected override string PodNetwork => "netns";

    public const string Namespace = "db";

    private const string Manifest = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: db
          labels:
            istio-injection: enabled
        ---
        apiVersion: v1
        kind: ServiceAccount
        metadata: {name: postgres, namespace: db}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: postgres, namespace: db}
        spec:
          selector: {app: postgres}
          ports:
          - {name: tcp-postgres, port: 5432}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: db}
        spec:
          selector: {app: postgres}
          ports:
          - {name: tcp-echo, port: 9000}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: postgres, namespace: db}
        spec:
          replicas: 1
          selector:
            matchLabels: {app: postgres}
          template:
            metadata:
              labels: {app: postgres}
            spec:
              serviceAccountName: postgres
              containers:
              - name: postgres
                image: postgres:15
                command:
                - sh
                - -c
                - |
                  set -e
                  bin=/usr/lib/postgresql/15/bin
                  data=$(mktemp -d)
                  trap 'kill -INT "$pg" 2>/dev/null; wait "$pg"; rm -rf "$data"; exit 0' TERM INT
                  "$bin/initdb" -D "$data/pgdata" -U postgres --auth=trust >/dev/null
                  echo 'host all all 0.0.0.0/0 trust' >>"$data/pgdata/pg_hba.conf"
                  "$bin/postgres" -D "$data/pgdata" -c listen_addresses='*' -c port=5432 -c unix_socket_directories="$data" &
                  pg=$!
                  wait "$pg"
                ports:
                - containerPort: 5432
                readinessProbe:
                  tcpSocket: {port: 5432}
              - name: echo
                image: alpine/socat
                command: ["socat", "TCP-LISTEN:9000,fork,reuseaddr", "EXEC:cat"]
                ports:
                - containerPort: 9000
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: client, namespace: db}
        spec:
          replicas: 1
          selector:
            matchLabels: {app: client}
          template:
            metadata:
              labels: {app: client}
            spec:
              containers:
              - name: client
                image: postgres:15
                command: ["sleep", "infinity"]
                env:
                - {name: PGUSER, value: postgres}
                - {name: PGCONNECT_TIMEOUT, value: "10"}
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata: {name: default, namespace: db}
        spec:
          mtls: {mode: STRICT}
        """;

    public override async Task InitializeAsync()
    {
        if (PodNetworkFactAttribute.SkipReason is not null) return;
        var manifest = Path.Combine(StatePath, "postgres.yaml");
        await File.WriteAllTextAsync(manifest, Manifest);
        await UpAsync(manifest);
        await Mw.EventuallyAsync(
            () => Task.FromResult(Pods(Namespace).Count(p => p.Ready) == 2),
            TimeSpan.FromSeconds(300),
            () => Task.FromResult($"pods: {string.Join(", ", Pods(Namespace).Select(p => $"{p.Name} ready={p.Ready}"))}\n{Logs()}"));
    }
}

[Collection(MeshCollection.Name)]
public sealed class PodNetworkTcpClientTests(PostgresPodNetworkMesh mesh) : IClassFixture<PostgresPodNetworkMesh>
{
    private const string EchoText = "ping-through-the-mesh";

    private Task<CommandResult> ClientAsync(params string[] command) =>
        mesh.RunAsync(["exec", "-n", PostgresPodNetworkMesh.Namespace, "deploy/client", "-c", "client", "--", .. command]);

    [PodNetworkFact]
    public async Task Psql_and_nc_reach_their_servers_through_the_mesh_with_only_TLS_on_the_wire()
    {
        var server = mesh.Pods(PostgresPodNetworkMesh.Namespace).Single(p => p.Deployment == "postgres");
        var client = mesh.Pods(PostgresPodNetworkMesh.Namespace).Single(p => p.Deployment == "client");
        var pid = server.Containers.Single(c => c.Name == "postgres").Pid!.Value;
        // Everything on the server pod's wire: the streams are told apart by their opening SYNs below.
        await using var capture = await PodPacketCapture.StartAsync(pid, $"tcp and host {server.PodIp}", Path.Combine(mesh.StatePath, "db.pcap"));

        CommandResult psql = null!, nc = null!;
        // The client's sidecar learns the Services from its first snapshot: the first tries may come before it.
        await Mw.EventuallyAsync(async () =>
            {
                psql = await ClientAsync("psql", "-h", "postgres.db", "-c", "select 1");
                return psql.ExitCode == 0;
            }, TimeSpan.FromSeconds(120), () => Task.FromResult($"psql: {psql}\n{mesh.Logs()}"));
        Assert.Contains("(1 row)", psql.Stdout, StringComparison.Ordinal);
        await Mw.EventuallyAsync(async () =>
            {
                nc = await ClientAsync("sh", "-c", $"echo {EchoText} | nc -N -w 10 echo.db 9000");
                return nc.Stdout.Contains(EchoText, StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(120), () => Task.FromResult($"nc: {nc}\n{mesh.Logs()}"));

        // Every stream opened towards the server pod during the test, whatever port the mesh carried it on: the client's,
        // and readiness probes (which carry no bytes). The server sidecar's own streams to the control plane open outwards.
        static List<IGrouping<(int, int), TcpSegment>> StreamsTowards(string server, IReadOnlyList<TcpSegment> segments)
        {
            var opened = segments.Where(s => s.Opens && s.Destination.Address.ToString() == server)
                .Select(s => (s.Source, s.Destination)).ToHashSet();
            return [.. segments.Where(s => s.Payload.Length > 0 && opened.Contains((s.Source, s.Destination)))
                .GroupBy(s => (s.Destination.Port, s.Source.Port))];
        }
        // Both exchanges are over, but their packets reach the file a moment later: wait (30 s at most) until two streams
        // are written; the assertions below say what was missing if they never are.
        var written = DateTime.UtcNow.AddSeconds(30);
        while (StreamsTowards(server.PodIp, await capture.ReadSoFarAsync()).Count < 2 && DateTime.UtcNow < written) await Task.Delay(200);
        var segments = await capture.StopAsync();
        var streams = StreamsTowards(server.PodIp, segments);
        var seen = string.Join(", ", segments.Select(s => $"{s.Source}>{s.Destination}{(s.Opens ? " SYN" : "")}").Distinct().Take(40));
        Assert.True(streams.Count > 0,
            $"no stream towards the server pod {server.PodIp} (client pod {client.PodIp}) carried bytes on its wire; seen: {seen}; {capture.Stderr}");
        // RFC 8446 §5.1: every stream opens with a TLS record, a handshake (22) of version 3.x.
        Assert.All(streams, stream => Assert.True(
            stream.First().Payload is [22, 3, ..],
            $"the stream from port {stream.Key.Item2} to {stream.Key.Item1} opens with {Convert.ToHexString(stream.First().Payload.Take(8).ToArray())}, not a TLS handshake record"));
        // Both answers came from the server pod, so their bytes crossed this wire: in the clear, they would show.
        var wire = Encoding.Latin1.GetString([.. segments.SelectMany(s => s.Payload)]);
        Assert.DoesNotContain("select 1", wire, StringComparison.Ordinal);
        Assert.DoesNotContain("?column?", wire, StringComparison.Ordinal);
        Assert.DoesNotContain(EchoText, wire, StringComparison.Ordinal);
    }
}
