using System.Collections.Immutable;
using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.Cli.Commands;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Runtime.Pods;
using Meshwork.Testing;
using Microsoft.Extensions.Logging;

namespace Meshwork.Cli.Tests;

/// <summary>
/// `proxy-config listener|cluster|route|endpoint|log` against a real sidecar's admin API: the tables
/// in istioctl's columns, -o json as the list of Envoy resources, and the log level changed live.
/// </summary>
public sealed class ProxyConfigDumpCommandTests : IAsyncLifetime
{
    private readonly StateDirectory _state = new(Directory.CreateTempSubdirectory("meshwork-pcd-").FullName);
    private readonly string _ip = $"127.{Random.Shared.Next(100, 200)}.{Random.Shared.Next(0, 250)}.{Random.Shared.Next(2, 250)}";
    private ProxyHost _proxy = null!;
    private int _inboundPort;

    public async Task InitializeAsync()
    {
        var directory = _state.PodDirectory("foo", "sleep-1-aaaaa");
        var certs = Path.Combine(directory, "etc", "certs");
        TestCertificateAuthority.Shared.IssueWorkload("foo", "sleep").WriteTo(certs);
        _inboundPort = FreePort();
        var snapshot = new ProxySnapshot
        {
            Version = "v1",
            Node = new ProxyNode { Id = "sleep-1-aaaaa.foo", Role = ProxyRole.Sidecar, Namespace = "foo", Workload = "sleep", ServiceAccount = "sleep", SpiffeId = "spiffe://cluster.local/ns/foo/sa/sleep" },
            Inbound = [new InboundPort { Port = _inboundPort, Protocol = "http", Mode = InboundTlsMode.Strict, ModeSource = "PeerAuthentication foo/default" }],
            Outbound =
            [
                new OutboundService
                {
                    Name = "httpbin", Namespace = "bar", Hostname = "httpbin.bar.svc.cluster.local",
                    Ports =
                    [
                        new OutboundPort
                        {
                            Port = 8000, Name = "http", Protocol = "http", TlsSource = "DestinationRule bar/httpbin",
                            AcceptedIdentities = ["spiffe://cluster.local/ns/bar/sa/httpbin"],
                            Endpoints = [new UpstreamEndpoint { Address = "127.9.9.9", Port = 8080, Tls = UpstreamTlsMode.IstioMutual, Workload = "httpbin", Namespace = "bar" }],
                        },
                    ],
                },
            ],
            HttpRoutes =
            [
                new VirtualHostRoutes
                {
                    Hosts = ["httpbin.bar.svc.cluster.local"], Source = "VirtualService bar/httpbin",
                    Routes = [new HttpRouteRule { Matches = [new HttpRouteMatch { Uri = new StringMatchRule(StringMatchKind.Prefix, "/status") }], Destinations = [new RouteCluster { Host = "httpbin.bar.svc.cluster.local", Port = 8000 }] }],
                },
            ],
            TrustBundle = TestCertificateAuthority.Shared.TrustBundle.ToPem(),
        };
        var snapshotFile = Path.Combine(directory, "snapshot.json");
        await File.WriteAllTextAsync(snapshotFile, JsonSerializer.Serialize(snapshot, ProtocolJson.Default.ProxySnapshot));
        _proxy = await ProxyHost.StartAsync(new ProxyOptions
        {
            CertDirectory = certs, SnapshotFile = snapshotFile,
            Inbound = [new InboundTarget(_inboundPort, "127.0.0.1", 9)],
            OutboundAddress = new IPEndPoint(IPAddress.Parse(_ip), 0),
            AdminAddress = new IPEndPoint(IPAddress.Parse(_ip), 0),
            PodName = "sleep-1-aaaaa", PodNamespace = "foo", PodIp = _ip, ServiceAccount = "sleep", Workload = "sleep",
        }, LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning)));

        ContainerRecord Container(string name, ImmutableSortedDictionary<string, string> environment) => new()
        {
            Name = name, Command = ["true"], Environment = environment, WorkingDirectory = directory, LogFile = Path.Combine(directory, name + ".log"), Ready = true,
        };
        new PodRecord
        {
            Namespace = "foo", Name = "sleep-1-aaaaa", Deployment = "sleep", TemplateHash = "abc", PodIp = _ip, Sidecar = true, CreatedAt = DateTimeOffset.UtcNow,
            Containers =
            [
                Container("sleep", ImmutableSortedDictionary<string, string>.Empty),
                Container(SidecarInjection.SidecarContainerName, ImmutableSortedDictionary<string, string>.Empty.Add(ProxyEnvironment.AdminAddress, _proxy.AdminEndPoint.ToString())),
            ],
        }.Write(directory);
        new PodRecord { Namespace = "legacy", Name = "sleep-1-bbbbb", Deployment = "sleep", TemplateHash = "abc", PodIp = "127.1.0.9", CreatedAt = DateTimeOffset.UtcNow }
            .Write(_state.PodDirectory("legacy", "sleep-1-bbbbb"));
    }

    public async Task DisposeAsync()
    {
        await _proxy.DisposeAsync();
        Directory.Delete(_state.Root, recursive: true);
    }

    private int FreePort()
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Parse(_ip), 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var root = new RootCommand();
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(ProxyConfigCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await root.Parse(["--state-dir", _state.Root, .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static string[][] Rows(string table) =>
        [.. table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.RegularExpressions.Regex.Split(l.TrimEnd(), @"\s{3,}"))];

    [Fact]
    public async Task Listener_table_shows_the_strict_inbound_port_accepting_only_TLS_and_the_outbound_listener()
    {
        var (exit, stdout, stderr) = await RunAsync("proxy-config", "listener", "deploy/sleep", "-n", "foo");

        Assert.True(exit == 0, stderr);
        var rows = Rows(stdout);
        Assert.Equal(["ADDRESSES", "PORT", "MATCH", "DESTINATION"], rows[0]);
        var inbound = Assert.Single(rows, r => r[1] == _inboundPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal([_ip, "Trans: tls", $"Inline Route: inbound|{_inboundPort}||"], [inbound[0], inbound[2], inbound[3]]);
        Assert.Contains(rows, r => r[0] == _ip && r[1] == _proxy.OutboundEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) && r[3] == "Route: http_proxy");
    }

    [Fact]
    public async Task Cluster_table_names_the_service_port_direction_and_the_DestinationRule()
    {
        var (exit, stdout, stderr) = await RunAsync("-n", "foo", "proxy-config", "cluster", "sleep-1-aaaaa");

        Assert.True(exit == 0, stderr);
        var rows = Rows(stdout);
        Assert.Equal(["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "DESTINATION RULE"], rows[0]);
        Assert.Contains(rows, r => r.SequenceEqual(["httpbin.bar.svc.cluster.local", "8000", "-", "outbound", "EDS", "httpbin.bar"]));
    }

    [Fact]
    public async Task Route_and_endpoint_tables_show_the_VirtualService_match_and_the_endpoint_address()
    {
        var route = await RunAsync("proxy-config", "route", "sleep-1-aaaaa.foo");
        Assert.True(route.Exit == 0, route.Err);
        var row = Assert.Single(Rows(route.Out).Skip(1));
        Assert.Equal(["8000", "httpbin.bar.svc.cluster.local:8000", "httpbin, httpbin.bar + 2 more...", "/status*", "httpbin.bar"], row);

        var endpoint = await RunAsync("proxy-config", "endpoint", "deploy/sleep", "-n", "foo");
        Assert.True(endpoint.Exit == 0, endpoint.Err);
        Assert.Contains(Rows(endpoint.Out), r => r.SequenceEqual(["127.9.9.9:8080", "HEALTHY", "OK", "outbound|8000||httpbin.bar.svc.cluster.local"]));
    }

    [Fact]
    public async Task Json_output_is_the_list_of_Envoy_clusters()
    {
        var (exit, stdout, stderr) = await RunAsync("proxy-config", "clusters", "deploy/sleep", "-n", "foo", "-o", "json");

        Assert.True(exit == 0, stderr);
        var clusters = JsonNode.Parse(stdout)!.AsArray();
        Assert.Contains(clusters, c => c!["name"]!.GetValue<string>() == "outbound|8000||httpbin.bar.svc.cluster.local"
            && c["@type"]!.GetValue<string>() == "type.googleapis.com/envoy.config.cluster.v3.Cluster");
    }

    [Fact]
    public async Task Log_level_debug_changes_the_running_proxys_level()
    {
        var before = await RunAsync("proxy-config", "log", "deploy/sleep", "-n", "foo");
        Assert.True(before.Exit == 0, before.Err);
        Assert.Contains("meshwork: info", before.Out);

        var set = await RunAsync("proxy-config", "log", "deploy/sleep", "-n", "foo", "--level", "debug");
        Assert.True(set.Exit == 0, set.Err);
        Assert.StartsWith("sleep-1-aaaaa.foo:\n", set.Out);

        var after = await RunAsync("proxy-config", "log", "deploy/sleep", "-n", "foo");
        Assert.Contains("meshwork: debug", after.Out);

        var bad = await RunAsync("proxy-config", "log", "deploy/sleep", "-n", "foo", "--level", "chatty");
        Assert.Equal(1, bad.Exit);
        Assert.Contains("unknown level 'chatty'", bad.Err);
    }

    [Fact]
    public async Task A_pod_without_a_sidecar_has_no_proxy_config()
    {
        var (exit, _, stderr) = await RunAsync("proxy-config", "listener", "deploy/sleep", "-n", "legacy");

        Assert.Equal(1, exit);
        Assert.Contains("has no sidecar", stderr);
    }
}
