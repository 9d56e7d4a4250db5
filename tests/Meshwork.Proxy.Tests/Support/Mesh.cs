using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Meshwork.Identity;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Testing;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Support;

/// <summary>One pod's sidecar as a test sees it: the running proxy, its pod IP and its files.</summary>
public sealed record Pod(ProxyHost Proxy, string Ip, string Namespace, string ServiceAccount, string Directory, IReadOnlyDictionary<int, int> Ports)
{
    public string SpiffeId => $"spiffe://cluster.local/ns/{Namespace}/sa/{ServiceAccount}";
    public Uri OutboundProxy => new($"http://{Proxy.OutboundEndPoint}");
    public Uri Admin => new($"http://{Proxy.AdminEndPoint}");
    /// <summary>The real port behind a declared workload port (tests run many pods, so each gets free ports).</summary>
    public int InboundPort(int workloadPort) => Ports[workloadPort];
}

/// <summary>
/// Builds pods with sidecars running in-process from a snapshot file and a cert dir, each on its own
/// loopback address (127.0.0.0/8 is all local on Linux), as the local runtime lays pods out.
/// </summary>
public sealed class Mesh : IAsyncDisposable
{
    private static int _nextIp = Random.Shared.Next(10, 200) * 256;
    private int _pods;
    private readonly List<IAsyncDisposable> _owned = [];
    private readonly string _root = Directory.CreateTempSubdirectory("meshwork-proxy-test-").FullName;

    public TestCertificateAuthority Ca { get; } = TestCertificateAuthority.Shared;

    public static string NextPodIp()
    {
        var n = Interlocked.Increment(ref _nextIp);
        return $"127.{(n >> 8) % 250 + 2}.{n % 256}.{Random.Shared.Next(2, 250)}";
    }

    /// <summary>
    /// A free port on <paramref name="ip"/>, for listeners that must have a known port before they start. It is taken
    /// below the kernel's ephemeral range (32768–60999 by default): a port the kernel hands out for another test's
    /// outgoing connection or wildcard listener between this check and the proxy's bind would make the bind fail.
    /// </summary>
    public static int FreePort(string ip)
    {
        var address = IPAddress.Parse(ip);
        for (var attempt = 0; ; attempt++)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                var port = attempt < 200 ? Random.Shared.Next(20000, 32000) : 0;
                socket.Bind(new IPEndPoint(address, port));
                return ((IPEndPoint)socket.LocalEndPoint!).Port;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 200)
            {
            }
        }
    }

    public async Task<EchoApp> StartAppAsync(string name = "httpbin", IPAddress? address = null)
    {
        var app = await EchoApp.StartAsync(name, address);
        _owned.Add(app);
        return app;
    }

    public static InboundPort Inbound(int port, InboundTlsMode mode, string protocol = "http", params AuthzPolicy[] policies) => new()
    {
        Port = port, Protocol = protocol, Mode = mode, ModeSource = "test", Authorization = [.. policies],
        Services = [$"httpbin.foo.svc.cluster.local"],
    };

    /// <summary>Starts a sidecar (or a Network-role proxy when <paramref name="role"/> says so).</summary>
    public async Task<Pod> StartPodAsync(
        string ns, string sa,
        IReadOnlyList<(InboundPort Port, int AppPort)>? inbound = null,
        IReadOnlyList<OutboundService>? outbound = null,
        ProxyRole role = ProxyRole.Sidecar,
        WorkloadCredentials? credentials = null,
        string? ip = null,
        IReadOnlyList<VirtualHostRoutes>? routes = null,
        IReadOnlyList<GatewayListener>? gateways = null,
        IReadOnlyList<GatewayPort>? gatewayPorts = null,
        Func<ProxyOptions, ProxyOptions>? configure = null,
        ConnectionLimits? limits = null,
        ILoggerProvider? logs = null,
        OutboundScope? scope = null)
    {
        ip ??= NextPodIp();
        // Two pods of one service account may share an address (on a pod network's host address): each has its own files.
        var dir = Path.Combine(_root, $"{sa}-{ip}-{Interlocked.Increment(ref _pods)}");
        Directory.CreateDirectory(dir);
        var certDir = Path.Combine(dir, "certs");
        if (role != ProxyRole.Network) (credentials ?? Ca.IssueWorkload(ns, sa)).WriteTo(certDir);

        // Workload ports are real ports on the pod IP; the snapshot speaks of the same numbers.
        var ports = (inbound ?? []).Select(i => (Declared: i.Port.Port, Port: i.Port with { Port = FreePort(ip) }, i.AppPort)).ToList();
        var snapshot = Snapshot(ns, sa, role, [.. ports.Select(p => p.Port)], [.. outbound ?? []]) with { HttpRoutes = [.. routes ?? []], Gateways = [.. gateways ?? []], Scope = scope };
        var snapshotFile = Path.Combine(dir, "snapshot.json");
        await File.WriteAllTextAsync(snapshotFile, JsonSerializer.Serialize(snapshot, ProtocolJson.Default.ProxySnapshot));

        var options = new ProxyOptions
        {
            Role = role,
            CertDirectory = role == ProxyRole.Network ? null : certDir,
            SnapshotFile = snapshotFile,
            Inbound = [.. ports.Select(p => new InboundTarget(p.Port.Port, "127.0.0.1", p.AppPort))],
            OutboundAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            AdminAddress = new IPEndPoint(IPAddress.Parse(ip), 0),
            PodName = $"{sa}-pod",
            PodNamespace = ns,
            PodIp = ip,
            ServiceAccount = sa,
            Workload = sa,
            FilePollInterval = TimeSpan.FromMilliseconds(200),
            GatewayPorts = [.. gatewayPorts ?? []],
            Limits = limits ?? ConnectionLimits.Default,
        };
        options = configure?.Invoke(options) ?? options;
        var proxy = await ProxyHost.StartAsync(options, LoggerFactory.Create(b =>
        {
            b.AddSimpleConsole().SetMinimumLevel(Environment.GetEnvironmentVariable("MESHWORK_TEST_LOG") == "debug" ? LogLevel.Debug : LogLevel.Warning);
            if (logs is not null) b.AddProvider(logs);
        }));
        _owned.Add(proxy);
        return new Pod(proxy, ip, ns, sa, dir, ports.ToDictionary(p => p.Declared, p => p.Port.Port));
    }

    public ProxySnapshot Snapshot(string ns, string sa, ProxyRole role, ImmutableArray<InboundPort> inbound, ImmutableArray<OutboundService> outbound) => new()
    {
        Version = Guid.NewGuid().ToString("n"),
        Node = new ProxyNode
        {
            Id = $"{sa}-pod.{ns}", Role = role, Namespace = ns, Workload = sa, ServiceAccount = sa,
            SpiffeId = role == ProxyRole.Network ? null : $"spiffe://cluster.local/ns/{ns}/sa/{sa}", App = sa, Version = "v1",
        },
        Inbound = inbound,
        Outbound = outbound,
        TrustBundle = role == ProxyRole.Network ? [] : Ca.TrustBundle.ToPem(),
        TrustDomains = ["cluster.local"],
    };

    /// <summary>A service "name.ns" on port 8000 whose endpoints are the given pods' inbound ports.</summary>
    public static OutboundService Service(string name, string ns, int servicePort, UpstreamTlsMode tls, IEnumerable<string>? acceptedIdentities, params (Pod Pod, int WorkloadPort)[] endpoints) => new()
    {
        Name = name,
        Namespace = ns,
        Hostname = $"{name}.{ns}.svc.cluster.local",
        Ports =
        [
            new OutboundPort
            {
                Port = servicePort,
                Name = "http",
                Protocol = "http",
                AcceptedIdentities = [.. acceptedIdentities ?? []],
                Endpoints = [.. endpoints.Select(e => new UpstreamEndpoint
                {
                    Address = e.Pod.Ip, Port = e.Pod.InboundPort(e.WorkloadPort), Tls = tls,
                    Pod = $"{e.Pod.ServiceAccount}-pod", Workload = e.Pod.ServiceAccount, Namespace = e.Pod.Namespace, ServiceAccount = e.Pod.ServiceAccount,
                    App = e.Pod.ServiceAccount, Version = "v1",
                })],
            },
        ],
    };

    public string Path_(string name) => System.IO.Path.Combine(_root, name);

    public async ValueTask DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            try { await _owned[i].DisposeAsync(); } catch (ObjectDisposedException) { }
        }
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
