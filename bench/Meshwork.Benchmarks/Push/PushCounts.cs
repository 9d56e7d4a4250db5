using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;

namespace Meshwork.Benchmarks.Push;

/// <summary>
/// What one change costs the control plane per proxy, counted rather than timed (the box it runs on may be busy):
/// managed bytes allocated and process CPU time (less what building the changed mesh states took) and garbage collections over a few changes of <see cref="PushRig"/>, then
/// the allocations by type, from the runtime's allocation-tick events (one sample per ~100 KB allocated).
///   dotnet run -c Release --project bench/Meshwork.Benchmarks -- push-counts [proxies=1000] [namespaces=10] [extraServices=0] [changes=10]
/// </summary>
internal static class PushCounts
{
    public static void Run(string[] args)
    {
        var proxies = Arg(args, 1, 1000);
        var namespaces = Arg(args, 2, 10);
        var extraServices = Arg(args, 3, 0);
        var changes = Arg(args, 4, 10);
        var rig = new PushRig(proxies, namespaces, extraServices);
        // Two warm-up changes of each kind: the paths leave the JIT's first tier before anything is counted.
        for (var i = 0; i < 4; i++) rig.Change();

        GC.Collect();
        var gen0 = GC.CollectionCount(0);
        var gen1 = GC.CollectionCount(1);
        var gen2 = GC.CollectionCount(2);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var meshBuild = rig.MeshBuild;
        long lineBytes = 0;
        for (var i = 0; i < changes; i++) lineBytes += rig.Change();
        var perProxy = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated - (rig.MeshBuild.Bytes - meshBuild.Bytes)) / changes / proxies;
        var cpuPerProxy = (Process.GetCurrentProcess().TotalProcessorTime - cpu - (rig.MeshBuild.Cpu - meshBuild.Cpu)).TotalMicroseconds / changes / proxies;
        Console.WriteLine($"push-counts: {proxies} proxies, {namespaces} namespaces, {extraServices} extra services, {changes} changes (PeerAuthentication flips and pods added, alternating), load average {Load()}");
        Console.WriteLine($"per proxy per change: {perProxy:F0} bytes allocated, {cpuPerProxy:F0} µs CPU, {(double)lineBytes / changes / proxies:F0} bytes of line");
        Console.WriteLine($"collections over the {changes} changes: gen0 {GC.CollectionCount(0) - gen0}, gen1 {GC.CollectionCount(1) - gen1}, gen2 {GC.CollectionCount(2) - gen2}");

        using var ticks = new AllocationTicks();
        for (var i = 0; i < changes; i++) rig.Change();
        ticks.Print(changes * proxies, top: 25);
    }

    private static int Arg(string[] args, int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    /// <summary>The runtime's GCAllocationTick events, summed by type: each stands for the ~100 KB allocated since the last.</summary>
    private sealed class AllocationTicks : EventListener
    {
        private const int AllocationTickEvent = 10;
        private readonly Dictionary<string, long> _bytesByType = [];
        private long _total;

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventId != AllocationTickEvent || e.PayloadNames is null) return;
            var type = e.Payload![e.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            var amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")], CultureInfo.InvariantCulture);
            lock (_bytesByType)
            {
                _bytesByType[type] = _bytesByType.GetValueOrDefault(type) + amount;
                _total += amount;
            }
        }

        public void Print(int proxyChanges, int top)
        {
            lock (_bytesByType)
            {
                Console.WriteLine($"sampled allocations by type (bytes per proxy per change, of {(double)_total / proxyChanges:F0} sampled):");
                foreach (var (type, bytes) in _bytesByType.OrderByDescending(p => p.Value).Take(top))
                {
                    Console.WriteLine($"  {(double)bytes / proxyChanges,8:F0}  {type}");
                }
            }
        }
    }
}
