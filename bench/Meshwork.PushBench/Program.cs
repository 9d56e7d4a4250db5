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
// then adds a pod to a Service every proxy knows, and each proxy's latency is the time from the
// change to its ACK being recorded. Then the control plane restarts (with a change made while it
// was down) and every proxy reconnects at once.
//   dotnet run -c Release --project bench/Meshwork.PushBench -- [proxies=100] [rounds=20] [namespaces=10] [deltas|full]
var proxies = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var namespaces = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var deltas = args.Length <= 3 || args[3] != "full";

var stateDirectory = Directory.CreateTempSubdirectory("meshwork-pushbench-").FullName;
try
{
    var ca = CertificateAuthority.LoadOrCreateSelfSigned(stateDirectory, new CaOptions());
    var mesh = new InMemoryMeshStateSource(Mesh(proxies, namespaces, strict: false, extraPods: 0));
    var app = await StartServerAsync(ca, mesh, stateDirectory, port: 0);
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
        simulated.Add(new SimulatedProxy(address, certificate, ca.TrustBundle, Registration(i, namespaces) with { Deltas = deltas }));
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

    var policy = new RoundStats();
    var endpoints = new RoundStats();
    var strict = false;
    var extraPods = 0;
    for (var round = 1; round <= rounds; round++)
    {
        strict = !strict;
        await RoundAsync(simulated, mesh, Mesh(proxies, namespaces, strict, extraPods), policy);
        extraPods++;
        await RoundAsync(simulated, mesh, Mesh(proxies, namespaces, strict, extraPods), endpoints);
    }

    var debounce = app.Services.GetRequiredService<PushOptions>().Debounce.TotalMilliseconds;
    Console.WriteLine($"rounds: {rounds}, proxies: {proxies}, namespaces: {namespaces}, debounce: {debounce} ms, cores: {Environment.ProcessorCount}, stream: {(deltas ? "deltas" : "full snapshots")}");
    policy.Print("", proxies);
    endpoints.Print("pod added to a Service every proxy calls: ", proxies);

    // Restart: the control plane stops, a change lands while it is down, and every proxy reconnects
    // at once with the version it runs (no client-side pacing: the server's admission does it).
    await app.StopAsync();
    await app.DisposeAsync();
    strict = !strict;
    mesh.Set(Mesh(proxies, namespaces, strict, extraPods));
    app = await StartServerAsync(ca, mesh, stateDirectory, port: address.Port);
    var restart = Stopwatch.StartNew();
    var retries = await Task.WhenAll(simulated.Select(p => p.ReconnectAsync()));
    Console.WriteLine($"restart: {proxies} proxies reconnected and ACKed the change made meanwhile in {restart.ElapsedMilliseconds} ms ({retries.Sum()} streams refused and retried)");
    Console.WriteLine();
    Console.WriteLine($"| issue 18 target ({proxies} proxies) | goal | measured |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| PeerAuthentication change -> ACK, p99 per proxy (incl. debounce) | <= 1000 ms | {policy.P99:F0} ms |");
    Console.WriteLine($"| pod added to a Service all proxies call -> ACK, p99 | <= 1000 ms | {endpoints.P99:F0} ms |");
    Console.WriteLine($"| bytes per proxy, PeerAuthentication change (median) | <= 2048 | {policy.MedianBytes:F0} |");
    Console.WriteLine($"| bytes per proxy, pod added (median) | <= 2048 | {endpoints.MedianBytes:F0} |");
    Console.WriteLine($"| restart, all reconnected and ACKed | <= 5000 ms | {restart.ElapsedMilliseconds} ms |");
    Console.WriteLine();
    Console.WriteLine($"control plane memory:    {GC.GetTotalMemory(forceFullCollection: true) / (1024 * 1024)} MB managed after the restart (bench and simulated proxies share the process)");

    // Generation alone, for the same mesh: how much of the latency is computing snapshots.
    var state = Mesh(proxies, namespaces, strict: true, extraPods: 0);
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
    await app.DisposeAsync();
}
finally
{
    try { Directory.Delete(stateDirectory, recursive: true); } catch (IOException) { }
}

/// <summary>Applies <paramref name="next"/> and records each proxy's time to ACK and the bytes it was sent for it.</summary>
static async Task RoundAsync(List<SimulatedProxy> simulated, InMemoryMeshStateSource mesh, MeshState next, RoundStats stats)
{
    var before = simulated.Select(p => p.AckedVersion).ToArray();
    var bytesBefore = simulated.Select(p => p.BytesReceived).ToArray();
    var waits = simulated.Select((p, i) => p.WaitForNewAckAsync(before[i])).ToArray();
    var started = Stopwatch.GetTimestamp();
    mesh.Set(next);
    var acked = await Task.WhenAll(waits);
    var perProxy = acked.Select(t => Stopwatch.GetElapsedTime(started, t).TotalMilliseconds).ToList();
    stats.Latencies.AddRange(perProxy);
    stats.AllAcked.Add(perProxy.Max());
    stats.Bytes.AddRange(simulated.Select((p, i) => (double)(p.BytesReceived - bytesBefore[i])));
}

static async Task<WebApplication> StartServerAsync(CertificateAuthority ca, IMeshStateSource mesh, string stateDirectory, int port)
{
    var serving = ca.IssueServingCertificate(new SpiffeId("cluster.local", "istio-system", "istiod"), ["localhost"], [IPAddress.Loopback]);
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
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

/// <summary>
/// One httpbin Service per namespace and one pod per proxy; STRICT or PERMISSIVE mesh-wide; and
/// <paramref name="extraPods"/> more pods (no proxy of their own) behind ns0's httpbin, which every proxy knows.
/// </summary>
static MeshState Mesh(int proxies, int namespaces, bool strict, int extraPods)
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
    for (var i = 0; i < proxies + extraPods; i++)
    {
        resources.Add(new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta
            {
                Name = $"httpbin-{i}",
                Namespace = i < proxies ? $"ns{i % namespaces}" : "ns0",
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
    private ProxySnapshot? _running;
    private long _bytes;

    public string? AckedVersion { get; private set; }
    /// <summary>Bytes of snapshot lines read so far (full snapshots and deltas).</summary>
    public long BytesReceived => Interlocked.Read(ref _bytes);

    public async Task ConnectAsync()
    {
        var first = WaitForNewAckAsync(null);
        if (!await OpenAsync(registration)) throw new HttpRequestException("stream refused");
        await first;
    }

    /// <summary>
    /// Reconnects as a proxy does after its control plane restarted: with the version it runs,
    /// retrying a refused stream after the Retry-After the server gives. Completes once the proxy
    /// runs what the control plane would send it (ACKed, or nothing needed to be sent); returns how
    /// many attempts were refused.
    /// </summary>
    public async Task<int> ReconnectAsync()
    {
        if (_reader is not null) { try { await _reader; } catch (HttpRequestException) { } catch (IOException) { } }
        var refused = 0;
        var current = AckedVersion;
        var next = WaitForNewAckAsync(current);
        while (!await OpenAsync(registration with { CurrentVersion = current }))
        {
            refused++;
            await Task.Delay(TimeSpan.FromSeconds(1) + TimeSpan.FromMilliseconds(Random.Shared.Next(500)), _stop.Token);
        }
        await next;
        return refused;
    }

    private async Task<bool> OpenAsync(ProxyRegistration body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, ControlPlanePaths.Stream)
        {
            Content = JsonContent.Create(body, ProtocolJson.Default.ProxyRegistration),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        HttpResponseMessage response;
        try { response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token); }
        catch (HttpRequestException) { return false; }
        if (!response.IsSuccessStatusCode) { response.Dispose(); return false; }
        _reader = ReadAsync(response);
        return true;
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
                    Interlocked.Add(ref _bytes, line.Length);
                    var update = JsonSerializer.Deserialize(line, ProtocolJson.Default.SnapshotUpdate)!;
                    // Apply as the sidecar does: a delta goes on top of what runs, or the proxy asks for a resync.
                    string? error = null;
                    var next = update.Snapshot ?? SnapshotDeltaApplier.Apply(_running, update.Delta!, out error);
                    if (next is not null) _running = next;
                    var ack = new SnapshotAck { ProxyId = registration.Pod + "." + registration.Namespace, Version = update.Version, Nonce = update.Nonce, Error = error, Resync = next is null };
                    using (var acked = await _http.PostAsJsonAsync(ControlPlanePaths.Acks, ack, ProtocolJson.Default.SnapshotAck, _stop.Token))
                    {
                        acked.EnsureSuccessStatusCode();
                    }
                    if (next is null) continue;
                    var at = Stopwatch.GetTimestamp();
                    AckedVersion = next.Version;
                    lock (_gate)
                    {
                        foreach (var waiter in _waiters.Where(w => w.Version != next.Version).ToList())
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
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The control plane went away (a restart): ReconnectAsync opens the next stream.
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

/// <summary>Per-proxy ACK latencies, the slowest proxy per round, and bytes sent per proxy per change.</summary>
internal sealed class RoundStats
{
    public List<double> Latencies { get; } = [];
    public List<double> AllAcked { get; } = [];
    public List<double> Bytes { get; } = [];

    /// <summary>Prints the figures, each line starting with <paramref name="prefix"/> (bench/scaling.sh reads the unprefixed ones).</summary>
    public void Print(string prefix, int proxies)
    {
        Console.WriteLine($"{prefix}apply -> ACK per proxy:   median {Percentile(Latencies, 0.5):F1} ms, p90 {Percentile(Latencies, 0.9):F1} ms, p99 {Percentile(Latencies, 0.99):F1} ms, max {Latencies.Max():F1} ms");
        Console.WriteLine($"{prefix}apply -> all {proxies} ACKed: median {Percentile(AllAcked, 0.5):F1} ms");
        Console.WriteLine($"{prefix}bytes sent per proxy:     median {Percentile(Bytes, 0.5):F0}, max {Bytes.Max():F0}");
    }

    public double P99 => Percentile(Latencies, 0.99);
    public double MedianBytes => Percentile(Bytes, 0.5);

    public static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }
}
