using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Push;
using Meshwork.Identity;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Apply → ACK latency of the snapshot push: N simulated sidecars hold HTTP/2 + mTLS streams to a
// real Kestrel; each round flips a mesh-wide PeerAuthentication (every proxy's snapshot changes),
// and each proxy's latency is the time from the change to its ACK being recorded.
//   dotnet run -c Release --project bench/Meshwork.PushBench -- [proxies=100] [rounds=20] [namespaces=10]
var proxies = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var namespaces = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;

var stateDirectory = Directory.CreateTempSubdirectory("meshwork-pushbench-").FullName;
try
{
    var ca = CertificateAuthority.LoadOrCreateSelfSigned(stateDirectory, new CaOptions());
    var mesh = new InMemoryMeshStateSource(Mesh(proxies, namespaces, strict: false));
    await using var app = await StartServerAsync(ca, mesh, stateDirectory);
    var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    var certificates = new Dictionary<string, X509Certificate2>();
    var simulated = new List<SimulatedProxy>();
    for (var i = 0; i < proxies; i++)
    {
        var ns = $"ns{i % namespaces}";
        if (!certificates.TryGetValue(ns, out var certificate))
        {
            var (key, csr) = CsrFactory.Create(new SpiffeId("cluster.local", ns, "httpbin"));
            certificate = WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, new SpiffeId("cluster.local", ns, "httpbin")), ca.TrustBundle).Leaf;
            certificates[ns] = certificate;
        }
        simulated.Add(new SimulatedProxy(address, certificate, ca.TrustBundle, Registration(i, namespaces)));
    }

    var connect = Stopwatch.StartNew();
    // A few handshakes at a time: 1,000 TLS handshakes at once on a small, busy host outlast
    // Kestrel's handshake timeout, and the benchmark measures pushes, not a connection storm.
    using (var handshakes = new SemaphoreSlim(16))
    {
        await Task.WhenAll(simulated.Select(async p =>
        {
            await handshakes.WaitAsync();
            try { await p.ConnectAsync(); }
            finally { handshakes.Release(); }
        }));
    }
    Console.WriteLine($"{proxies} proxies connected and ACKed their first snapshot in {connect.ElapsedMilliseconds} ms");

    var latencies = new List<double>();
    var allSynced = new List<double>();
    for (var round = 1; round <= rounds; round++)
    {
        var before = simulated.Select(p => p.AckedVersion).ToArray();
        var waits = simulated.Select((p, i) => p.WaitForNewAckAsync(before[i])).ToArray();
        var started = Stopwatch.GetTimestamp();
        mesh.Set(Mesh(proxies, namespaces, strict: round % 2 == 1));
        var acked = await Task.WhenAll(waits);
        var perProxy = acked.Select(t => Stopwatch.GetElapsedTime(started, t).TotalMilliseconds).ToList();
        latencies.AddRange(perProxy);
        allSynced.Add(perProxy.Max());
    }

    var debounce = app.Services.GetRequiredService<PushOptions>().Debounce.TotalMilliseconds;
    Console.WriteLine($"rounds: {rounds}, proxies: {proxies}, namespaces: {namespaces}, debounce: {debounce} ms, cores: {Environment.ProcessorCount}");
    Console.WriteLine($"apply -> ACK per proxy:   median {Percentile(latencies, 0.5):F1} ms, p90 {Percentile(latencies, 0.9):F1} ms, p99 {Percentile(latencies, 0.99):F1} ms, max {latencies.Max():F1} ms");
    Console.WriteLine($"apply -> all {proxies} ACKed: median {Percentile(allSynced, 0.5):F1} ms");
    Console.WriteLine($"minus the debounce:      median {Percentile(latencies, 0.5) - debounce:F1} ms per proxy");

    // Generation alone, for the same mesh: how much of the latency is computing snapshots.
    var state = Mesh(proxies, namespaces, strict: true);
    var bundle = ca.TrustBundle.ToPem();
    var generate = Stopwatch.StartNew();
    const int generationRounds = 5;
    for (var r = 0; r < generationRounds; r++)
    {
        var context = new Meshwork.Generation.GenerationContext(state with { });
        for (var i = 0; i < proxies; i++) Meshwork.Generation.SnapshotGenerator.Generate(Registration(i, namespaces), context, bundle);
    }
    Console.WriteLine($"generation alone:        {generate.Elapsed.TotalMilliseconds / generationRounds:F1} ms for {proxies} snapshots (shared per-mesh context)");
    var snapshots = Enumerable.Range(0, proxies).Select(i => Meshwork.Generation.SnapshotGenerator.Generate(Registration(i, namespaces), state, bundle)).ToList();
    var hashing = Stopwatch.StartNew();
    foreach (var snapshot in snapshots) Meshwork.Generation.Hashing.SnapshotVersion.Compute(snapshot);
    Console.WriteLine($"  of which version hash: {hashing.Elapsed.TotalMilliseconds:F1} ms for {proxies} snapshots ({JsonSerializer.SerializeToUtf8Bytes(snapshots[0], ProtocolJson.Default.ProxySnapshot).Length} bytes each)");
    var fingerprint = Stopwatch.StartNew();
    Meshwork.Generation.Hashing.GenerationInputs.MeshFingerprint(state);
    Console.WriteLine($"mesh fingerprint:        {fingerprint.Elapsed.TotalMilliseconds:F1} ms");

    foreach (var p in simulated) await p.DisposeAsync();
    await app.StopAsync();
}
finally
{
    try { Directory.Delete(stateDirectory, recursive: true); } catch (IOException) { }
}

static double Percentile(List<double> values, double p)
{
    var sorted = values.Order().ToList();
    return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
}

static async Task<WebApplication> StartServerAsync(CertificateAuthority ca, IMeshStateSource mesh, string stateDirectory)
{
    var serving = ca.IssueServingCertificate(new SpiffeId("cluster.local", "istio-system", "istiod"), ["localhost"], [IPAddress.Loopback]);
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
    {
        listen.Protocols = HttpProtocols.Http2;
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serving.Leaf,
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = (_, _, _) => true,
        });
    }));
    builder.Services.AddSingleton(mesh);
    builder.Services.AddSingleton(ca);
    builder.Services.AddSingleton(BootstrapTokenAuthority.LoadOrCreate(stateDirectory));
    builder.Services.AddSingleton(new StateDirectory(stateDirectory));
    ProxyServices.Add(builder.Services);
    var app = builder.Build();
    ProxyServices.Map(app);
    await app.StartAsync();
    return app;
}

static ProxyRegistration Registration(int i, int namespaces) => new()
{
    Role = ProxyRole.Sidecar,
    Namespace = $"ns{i % namespaces}",
    Pod = $"httpbin-{i}",
    Workload = "httpbin",
    ServiceAccount = "httpbin",
    PodIp = PodIp(i),
    Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
        [new KeyValuePair<string, string>("app", "httpbin"), new("security.istio.io/tlsMode", "istio")]),
    Ports = [8080],
};

static string PodIp(int i) => $"127.1.{i / 250}.{i % 250 + 1}";

/// <summary>One httpbin Service per namespace and one pod per proxy; STRICT or PERMISSIVE mesh-wide.</summary>
static MeshState Mesh(int proxies, int namespaces, bool strict)
{
    var resources = new List<Resource>();
    for (var n = 0; n < namespaces; n++)
    {
        resources.Add(new Service
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = "httpbin", Namespace = $"ns{n}" },
            Spec = new ServiceSpec
            {
                Selector = new LabelSelector(ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [new KeyValuePair<string, string>("app", "httpbin")])),
                Ports = [new ServicePort { Name = "http", Port = 8000, TargetPort = IntOrString.Of(8080) }],
            },
        });
    }
    for (var i = 0; i < proxies; i++)
    {
        resources.Add(new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta
            {
                Name = $"httpbin-{i}",
                Namespace = $"ns{i % namespaces}",
                Labels = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
                    [new KeyValuePair<string, string>("app", "httpbin"), new("security.istio.io/tlsMode", "istio")]),
            },
            Spec = new PodSpec { ServiceAccountName = "httpbin", Containers = [new Container { Name = "httpbin", Ports = [new ContainerPort { Port = 8080 }] }] },
            Status = new PodStatus { Phase = "Running", PodIP = PodIp(i), ContainerStatuses = [new ContainerStatus { Name = "httpbin", Ready = true }] },
        });
    }
    resources.Add(new PeerAuthentication
    {
        ApiVersion = "security.istio.io/v1",
        Metadata = new ObjectMeta { Name = "default", Namespace = "istio-system" },
        Spec = new PeerAuthenticationSpec { Mode = strict ? MtlsMode.Strict : MtlsMode.Permissive },
    });
    return MeshState.From(resources);
}

/// <summary>A proxy's control-plane client: one HTTP/2 connection, reads snapshots, ACKs each one.</summary>
internal sealed class SimulatedProxy(Uri address, X509Certificate2 certificate, TrustBundle trust, ProxyRegistration registration) : IAsyncDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            ClientCertificates = new X509CertificateCollection { certificate },
            LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate,
            RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && trust.Verify(new X509Certificate2(cert), [], DateTimeOffset.UtcNow, out _),
        },
    })
    {
        BaseAddress = address,
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly List<(string Version, TaskCompletionSource<long> Done)> _waiters = [];
    private Task? _reader;

    public string? AckedVersion { get; private set; }

    public async Task ConnectAsync()
    {
        var first = WaitForNewAckAsync(null);
        var request = new HttpRequestMessage(HttpMethod.Post, ControlPlanePaths.Stream)
        {
            Content = JsonContent.Create(registration, ProtocolJson.Default.ProxyRegistration),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
        response.EnsureSuccessStatusCode();
        _reader = ReadAsync(response);
        await first;
    }

    /// <summary>Completes with the Stopwatch timestamp at which a version other than <paramref name="current"/> was ACKed.</summary>
    public Task<long> WaitForNewAckAsync(string? current)
    {
        var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate) _waiters.Add((current ?? "", done));
        return done.Task;
    }

    private async Task ReadAsync(HttpResponseMessage response)
    {
        using (response)
        using (var reader = new StreamReader(await response.Content.ReadAsStreamAsync(_stop.Token)))
        {
            try
            {
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.Length == 0) continue;
                    var envelope = JsonSerializer.Deserialize(line, ProtocolJson.Default.SnapshotEnvelope)!;
                    var ack = new SnapshotAck { ProxyId = envelope.Snapshot.Node.Id, Version = envelope.Snapshot.Version, Nonce = envelope.Nonce };
                    using (var acked = await _http.PostAsJsonAsync(ControlPlanePaths.Acks, ack, ProtocolJson.Default.SnapshotAck, _stop.Token))
                    {
                        acked.EnsureSuccessStatusCode();
                    }
                    var at = Stopwatch.GetTimestamp();
                    AckedVersion = envelope.Snapshot.Version;
                    lock (_gate)
                    {
                        foreach (var waiter in _waiters.Where(w => w.Version != envelope.Snapshot.Version).ToList())
                        {
                            waiter.Done.TrySetResult(at);
                            _waiters.Remove(waiter);
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_reader is not null)
        {
            try { await _reader; } catch (HttpRequestException) { } catch (IOException) { }
        }
        _http.Dispose();
        _stop.Dispose();
    }
}
