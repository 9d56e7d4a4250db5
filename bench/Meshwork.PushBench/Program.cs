using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Meshwork.Api;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Push;
using Meshwork.ControlPlane.Registry;
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
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

// Apply → ACK latency of the snapshot push: N simulated sidecars hold HTTP/2 + mTLS streams to a
// real Kestrel; each round flips a mesh-wide PeerAuthentication (every proxy's snapshot changes),
// then adds a pod to a Service every proxy knows, and each proxy's latency is the time from the
// change to its ACK being recorded (after one warm-up round that is not counted). Then the control plane restarts (with a change made while it
// was down) and every proxy reconnects at once.
//   dotnet run -c Release --project bench/Meshwork.PushBench -- [proxies=100] [rounds=20] [namespaces=10] [deltas|full] [handshakes=16] [held|version]
// (handshakes: TLS handshakes the control plane runs at once, PushOptions.ConcurrentHandshakes, 0 for no limit;
// a list such as 0,16 restarts once per value; held: reconnecting proxies send the part hashes of what they run
// and get a delta, version: only the version, and a full snapshot when it changed; a list such as version,held
// restarts once per value).
// The control plane's side alone at 10,000 services: see ScaleMode.
if (args.Length > 0 && args[0] == "scale")
{
    ScaleMode.Run(args);
    return;
}
var proxies = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100;
var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20;
var namespaces = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
var deltas = args.Length <= 3 || args[3] != "full";
var handshakeLimits = args.Length > 4 ? args[4].Split(',').Select(h => int.Parse(h, CultureInfo.InvariantCulture)).ToList() : [new PushOptions().ConcurrentHandshakes];
var heldModes = args.Length > 5 ? args[5].Split(',').Select(h => h == "held").ToList() : [true];

var stateDirectory = Directory.CreateTempSubdirectory("meshwork-pushbench-").FullName;
try
{
    var ca = CertificateAuthority.LoadOrCreateSelfSigned(stateDirectory, new CaOptions());
    var mesh = new InMemoryMeshStateSource(Mesh(proxies, namespaces, strict: false, extraPods: 0));
    var app = await StartServerAsync(ca, mesh, stateDirectory, new PushOptions(), port: 0);
    var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    // Every proxy its own key and certificate, as sidecars have: the control plane sees a thousand
    // certificates it has not verified yet, not ten it has.
    var simulated = new List<SimulatedProxy>();
    for (var i = 0; i < proxies; i++)
    {
        var identity = new SpiffeId("cluster.local", $"ns{i % namespaces}", "httpbin");
        var (key, csr) = CsrFactory.Create(identity);
        var leaf = WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, identity), ca.TrustBundle).Leaf;
        var credential = SslStreamCertificateContext.Create(leaf, additionalCertificates: null, offline: true);
        simulated.Add(new SimulatedProxy(address, credential, ca.TrustBundle, Registration(i, namespaces) with { Deltas = deltas }));
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
    // Round 0 is a warm-up, not counted: a control plane runs for days, and the first change after start-up
    // runs the delta paths (diff, line writer, applier) in the JIT's first tier on both sides of the stream.
    for (var round = 0; round <= rounds; round++)
    {
        strict = !strict;
        await RoundAsync(app.Services, simulated, mesh, Mesh(proxies, namespaces, strict, extraPods), round == 0 ? new RoundStats() : policy);
        extraPods++;
        await RoundAsync(app.Services, simulated, mesh, Mesh(proxies, namespaces, strict, extraPods), round == 0 ? new RoundStats() : endpoints);
    }

    var debounce = app.Services.GetRequiredService<PushOptions>().Debounce.TotalMilliseconds;
    Console.WriteLine($"rounds: {rounds} after one warm-up round, proxies: {proxies}, namespaces: {namespaces}, debounce: {debounce} ms, cores: {Environment.ProcessorCount}, stream: {(deltas ? "deltas" : "full snapshots")}, load average: {LoadAverage()}");
    policy.Print("", proxies);
    endpoints.Print("pod added to a Service every proxy calls: ", proxies);

    // Restart: the control plane stops, a change lands while it is down, and every proxy reconnects
    // at once with the version it runs (no client-side pacing: the server's admission does it). Once
    // per handshake limit asked for, so that limits compare under the same load.
    var restarts = new List<(string Mode, long Milliseconds)>();
    foreach (var (handshakes, sendHeld) in handshakeLimits.SelectMany(h => heldModes.Select(held => (h, held))))
    {
        await app.StopAsync();
        await app.DisposeAsync();
        strict = !strict;
        mesh.Set(Mesh(proxies, namespaces, strict, extraPods));
        app = await StartServerAsync(ca, mesh, stateDirectory, new PushOptions { ConcurrentHandshakes = handshakes }, port: address.Port);
        foreach (var p in simulated) { p.Attempts.Clear(); p.SendHeld = sendHeld; }
        var mode = $"{HandshakeLimit(handshakes)}, {(sendHeld ? "proxies send the parts they hold" : "proxies send their version only")}";
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var restart = Stopwatch.StartNew();
        var restartedAt = Stopwatch.GetTimestamp();
        var reconnected = await Task.WhenAll(simulated.Select(p => p.ReconnectAsync()));
        restarts.Add((mode, restart.ElapsedMilliseconds));
        var refused = simulated.Sum(p => p.Attempts.Count(a => a.Outcome != Attempt.Admitted));
        Console.WriteLine($"restart ({mode}, load average {LoadAverage()}): {proxies} proxies reconnected and ACKed the change made meanwhile in {restart.ElapsedMilliseconds} ms "
            + $"({refused} streams refused and retried, {app.Services.GetRequiredService<TlsHandshakeGate>().ClosedUnserved} connections closed before their handshake)");
        // CPU time is what the load of other processes does not inflate: the figure to compare between modes.
        Console.WriteLine($"restart CPU (control plane and simulated proxies, one process): {(Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds:F2} s user+system, "
            + $"{simulated.Sum(p => p.LastStreamBytes) / proxies} bytes read per proxy (median line: {RoundStats.Percentile([.. simulated.Select(p => (double)p.LastStreamBytes)], 0.5):F0})");
        RestartReport.Print(simulated, restartedAt, reconnected);
    }
    Console.WriteLine();
    Console.WriteLine($"| issue 18 target ({proxies} proxies) | goal | measured |");
    Console.WriteLine("|---|---:|---:|");
    Console.WriteLine($"| PeerAuthentication change -> ACK, p99 per proxy (incl. debounce) | <= 1000 ms | {policy.P99:F0} ms |");
    Console.WriteLine($"| pod added to a Service all proxies call -> ACK, p99 | <= 1000 ms | {endpoints.P99:F0} ms |");
    Console.WriteLine($"| bytes per proxy, PeerAuthentication change (median) | <= 2048 | {policy.MedianBytes:F0} |");
    Console.WriteLine($"| bytes per proxy, pod added (median) | <= 2048 | {endpoints.MedianBytes:F0} |");
    foreach (var (mode, milliseconds) in restarts) Console.WriteLine($"| restart, all reconnected and ACKed ({mode}) | <= 5000 ms | {milliseconds} ms |");
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
static async Task RoundAsync(IServiceProvider server, List<SimulatedProxy> simulated, InMemoryMeshStateSource mesh, MeshState next, RoundStats stats)
{
    var before = simulated.Select(p => p.AckedVersion).ToArray();
    var bytesBefore = simulated.Select(p => p.BytesReceived).ToArray();
    var waits = simulated.Select((p, i) => p.WaitForNewAckAsync(before[i])).ToArray();
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
    var pauseBefore = GC.GetTotalPauseDuration();
    var gen2Before = GC.CollectionCount(2);
    var started = Stopwatch.GetTimestamp();
    var startedAt = DateTimeOffset.UtcNow;
    mesh.Set(next);
    var acked = await Task.WhenAll(waits);
    stats.CpuMilliseconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds);
    stats.AllocatedBytes.Add(GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore);
    var perProxy = acked.Select(t => Stopwatch.GetElapsedTime(started, t).TotalMilliseconds).ToList();
    stats.Latencies.AddRange(perProxy);
    stats.AllAcked.Add(perProxy.Max());
    stats.Rounds.Add((RoundStats.Percentile(perProxy, 0.99), (GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds, GC.CollectionCount(2) - gen2Before));
    stats.Bytes.AddRange(simulated.Select((p, i) => (double)(p.BytesReceived - bytesBefore[i])));
    // The server's side of the same round, from its own clock readings.
    if (server.GetRequiredService<SnapshotPusher>().LastPush is { } push)
    {
        stats.PushStarted.Add((push.StartedAt - startedAt).TotalMilliseconds);
        stats.PushDone.Add((push.StartedAt + push.Duration - startedAt).TotalMilliseconds);
    }
    foreach (var connection in server.GetRequiredService<ProxyRegistry>().Connected)
    {
        if (connection.LastSentAt is { } sent) stats.Written.Add((sent - startedAt).TotalMilliseconds);
        if (connection.AckedAt is { } recorded) stats.Recorded.Add((recorded - startedAt).TotalMilliseconds);
    }
}

static async Task<WebApplication> StartServerAsync(CertificateAuthority ca, IMeshStateSource mesh, string stateDirectory, PushOptions options, int port)
{
    var serving = ca.IssueServingCertificate(new SpiffeId("cluster.local", "istio-system", "istiod"), ["localhost"], [IPAddress.Loopback]);
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.ClearProviders();
    // The control plane's listener as ControlPlaneHost sets it up.
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen =>
    {
        listen.Protocols = HttpProtocols.Http2;
        kestrel.ApplicationServices.GetRequiredService<TlsHandshakeGate>().UseHttps(listen, ControlPlaneHttps.Options(serving, () => ca.TrustBundle));
    }));
    builder.Services.AddSingleton(mesh);
    builder.Services.AddSingleton(options);
    builder.Services.AddSingleton(ca);
    builder.Services.AddSingleton(BootstrapTokenAuthority.LoadOrCreate(stateDirectory));
    builder.Services.AddSingleton(new StateDirectory(stateDirectory));
    ProxyServices.Add(builder.Services);
    var app = builder.Build();
    ProxyServices.Map(app);
    await app.StartAsync();
    return app;
}

static string HandshakeLimit(int handshakes) => handshakes > 0 ? $"{handshakes} handshakes at a time" : "handshakes not limited";

// The machine's 1-minute load average: absolute figures depend on it.
static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

static ProxyRegistration Registration(int i, int namespaces) => BenchMesh.Sidecar($"ns{i % namespaces}", $"httpbin-{i}", "httpbin", PodIp(i));

static string PodIp(int i) => $"127.1.{i / 250}.{i % 250 + 1}";

/// <summary>
/// One httpbin Service per namespace and one pod per proxy; STRICT or PERMISSIVE mesh-wide; and
/// <paramref name="extraPods"/> more pods (no proxy of their own) behind ns0's httpbin, which every proxy knows.
/// </summary>
static MeshState Mesh(int proxies, int namespaces, bool strict, int extraPods)
{
    var resources = new List<Resource>();
    for (var n = 0; n < namespaces; n++) resources.Add(BenchMesh.Service($"ns{n}", "httpbin", "httpbin", 8000));
    for (var i = 0; i < proxies + extraPods; i++) resources.Add(BenchMesh.Pod(i < proxies ? $"ns{i % namespaces}" : "ns0", $"httpbin-{i}", "httpbin", PodIp(i)));
    resources.Add(BenchMesh.MeshWideMtls(strict));
    return MeshState.From(resources);
}
