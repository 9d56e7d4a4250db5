using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Meshwork.ControlPlane.Push.Deltas;
using Meshwork.Generation;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Meshwork.ProxyProtocol.Snapshots;

/// <summary>
/// The control plane's side of a push at a size the simulated proxies cannot hold in one process
/// (10,000 services × 1,000 proxies by default): every proxy's snapshot generated as the server does
/// (one shared context per mesh state), then its stream line encoded — whole for the first
/// snapshot, a delta for a PeerAuthentication change and for a pod added — with the time each takes,
/// the bytes per proxy and the managed memory that holding 1,000 snapshots costs. No network: the
/// streaming itself is what the default mode measures.
///   dotnet run -c Release --project bench/Meshwork.PushBench -- scale [proxies=1000] [services=10000] [namespaces=10]
/// </summary>
internal static class ScaleMode
{
    public static void Run(string[] args)
    {
        var proxies = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1000;
        var services = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10_000;
        var namespaces = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10;
        ImmutableArray<string> bundle = ["-----BEGIN CERTIFICATE-----\nMIIBbench\n-----END CERTIFICATE-----\n"];
        var registrations = Enumerable.Range(0, proxies).Select(i => Registration(i, namespaces)).ToList();
        Console.WriteLine($"scale: {services} services, {proxies} proxies in {namespaces} namespaces, cores: {Environment.ProcessorCount}");

        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var (first, firstTime, firstBytes) = Push(registrations, Mesh(proxies, services, namespaces, strict: false, extraPods: 0), bundle, previous: null);
        var held = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        Console.WriteLine($"| 10,000-services push ({proxies} proxies, no network) | time | bytes per proxy |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| first snapshots: generate + encode all | {firstTime:F0} ms | {firstBytes:F0} |");
        var (strict, strictTime, strictBytes) = Push(registrations, Mesh(proxies, services, namespaces, strict: true, extraPods: 0), bundle, first);
        Console.WriteLine($"| PeerAuthentication change: generate + diff + encode all | {strictTime:F0} ms | {strictBytes:F0} |");
        var (_, podTime, podBytes) = Push(registrations, Mesh(proxies, services, namespaces, strict: true, extraPods: 1), bundle, strict);
        Console.WriteLine($"| pod added behind a Service: generate + diff + encode all | {podTime:F0} ms | {podBytes:F0} |");
        Console.WriteLine();
        Console.WriteLine($"control plane memory: {held / (1024 * 1024)} MB managed for the mesh state and {proxies} snapshots (shared part lists held once)");
        GC.KeepAlive(first);
    }

    /// <summary>Every proxy's snapshot and stream line; the time for all and the median line size.</summary>
    private static (List<ProxySnapshot> Snapshots, double Milliseconds, double MedianBytes) Push(
        List<ProxyRegistration> registrations, MeshState mesh, ImmutableArray<string> bundle, List<ProxySnapshot>? previous)
    {
        var started = Stopwatch.GetTimestamp();
        var context = new GenerationContext(mesh);
        var snapshots = new List<ProxySnapshot>(registrations.Count);
        var sizes = new List<double>(registrations.Count);
        for (var i = 0; i < registrations.Count; i++)
        {
            var snapshot = SnapshotGenerator.Generate(registrations[i], context, bundle);
            var line = previous is not null && SnapshotDiff.Between(previous[i], snapshot) is { } diff
                ? StreamLines.Delta("2", diff)
                : StreamLines.Full("1", snapshot);
            snapshots.Add(snapshot);
            sizes.Add(line.Length);
        }
        return (snapshots, Stopwatch.GetElapsedTime(started).TotalMilliseconds, RoundStats.Percentile(sizes, 0.5));
    }

    private static ProxyRegistration Registration(int i, int namespaces) => BenchMesh.Sidecar($"ns{i % namespaces}", $"client-{i}", "client", Address(i));

    private static string Address(int i) => $"127.{1 + i / 62500}.{i / 250 % 250}.{i % 250 + 1}";

    /// <summary>
    /// One client pod per proxy; <paramref name="services"/> Services spread over the namespaces, each with one pod;
    /// <paramref name="extraPods"/> more pods behind the first Service; STRICT or PERMISSIVE mesh-wide.
    /// </summary>
    private static MeshState Mesh(int proxies, int services, int namespaces, bool strict, int extraPods)
    {
        var resources = new List<Resource>(proxies + 2 * services + extraPods + 1);
        for (var i = 0; i < proxies; i++) resources.Add(BenchMesh.Pod($"ns{i % namespaces}", $"client-{i}", "client", Address(i)));
        for (var s = 0; s < services; s++)
        {
            var ns = $"ns{s % namespaces}";
            resources.Add(BenchMesh.Service(ns, $"svc-{s}", $"svc-{s}", 80));
            resources.Add(BenchMesh.Pod(ns, $"svc-{s}-0", $"svc-{s}", Address(proxies + s)));
        }
        for (var e = 0; e < extraPods; e++) resources.Add(BenchMesh.Pod("ns0", $"svc-0-extra-{e}", "svc-0", Address(proxies + services + e)));
        resources.Add(BenchMesh.MeshWideMtls(strict));
        return MeshState.From(resources);
    }
}
