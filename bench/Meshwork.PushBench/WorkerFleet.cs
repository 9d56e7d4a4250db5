using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshwork.CertificateAuthority;

/// <summary>
/// Simulated proxies in worker processes (this executable in <see cref="FleetWorker"/> mode), so that the control
/// plane keeps a process and a heap of its own, as in production where every sidecar is its own process: a
/// collection in one no longer stops the other. Proxies are split evenly over the workers, in order.
/// </summary>
internal sealed class WorkerFleet : IProxyFleet
{
    private readonly List<Worker> _workers;

    private WorkerFleet(List<Worker> workers) => _workers = workers;

    public int Count => _workers.Sum(w => w.Count);

    /// <summary>
    /// Starts <paramref name="workers"/> processes for <paramref name="proxies"/> proxies and signs each proxy's CSR with
    /// <paramref name="ca"/>. Each worker runs with the environment's DOTNET_GC* variables removed, so that trying garbage
    /// collector settings on the control plane's process does not change the simulated proxies' processes too.
    /// </summary>
    public static async Task<WorkerFleet> StartAsync(int workers, int proxies, int namespaces, bool deltas, int port, CertificateAuthority ca)
    {
        var started = new List<Worker>();
        try
        {
            var handshakes = Math.Max(1, InProcessFleet.ConnectHandshakes / workers);
            for (var w = 0; w < workers; w++)
            {
                var first = proxies * w / workers;
                var count = proxies * (w + 1) / workers - first;
                started.Add(Worker.Start(first, count, [first.ToString(CultureInfo.InvariantCulture), count.ToString(CultureInfo.InvariantCulture),
                    namespaces.ToString(CultureInfo.InvariantCulture), deltas ? "deltas" : "full", port.ToString(CultureInfo.InvariantCulture),
                    handshakes.ToString(CultureInfo.InvariantCulture)]));
            }
            var trust = Encode(string.Join("\n", ca.TrustBundle.ToPem()));
            await Task.WhenAll(started.Select(async worker =>
            {
                await worker.CheckClockAsync();
                await worker.SendAsync($"trust {trust}");
                for (var k = 0; k < worker.Count; k++)
                {
                    var csr = await worker.ExpectAsync("csr", InProcessFleet.RoundTimeout);
                    var i = int.Parse(csr[1], CultureInfo.InvariantCulture);
                    if (i < worker.First || i >= worker.First + worker.Count) throw new InvalidDataException($"worker sent a CSR for proxy {i}, not one of its own");
                    var chain = ca.Sign(Encoding.UTF8.GetString(Convert.FromBase64String(csr[2])), BenchMesh.PushIdentity(i, namespaces));
                    await worker.SendAsync($"cert {i} {Encode(string.Join("\n", chain))}");
                }
                await worker.ExpectAsync("ready", InProcessFleet.RoundTimeout);
            }));
            return new WorkerFleet(started);
        }
        catch
        {
            foreach (var worker in started) await worker.DisposeAsync();
            throw;
        }
    }

    public Task ConnectAsync() => Task.WhenAll(_workers.Select(async w =>
    {
        await w.SendAsync("connect");
        await w.ExpectAsync("connected", InProcessFleet.ConnectTimeout);
    }));

    public async Task<RoundOutcome> RoundAsync(Action change)
    {
        await Task.WhenAll(_workers.Select(async w =>
        {
            await w.SendAsync("arm");
            await w.ExpectAsync("armed", InProcessFleet.RoundTimeout);
        }));
        change();
        var rounds = await Task.WhenAll(_workers.Select(async w =>
            JsonSerializer.Deserialize((await w.ExpectAsync("acked", InProcessFleet.RoundTimeout))[1], WorkerJson.Default.RoundOutcome)!));
        return new RoundOutcome([.. rounds.SelectMany(r => r.AckedAt)], [.. rounds.SelectMany(r => r.Bytes)], FleetCost.Sum(rounds.Select(r => r.Workers!)));
    }

    public async Task<RestartOutcome> ReconnectAsync(bool sendHeld)
    {
        var restarts = await Task.WhenAll(_workers.Select(async w =>
        {
            await w.SendAsync($"reconnect {(sendHeld ? "held" : "version")}");
            return JsonSerializer.Deserialize((await w.ExpectAsync("reconnected", InProcessFleet.ConnectTimeout))[1], WorkerJson.Default.RestartOutcome)!;
        }));
        return new RestartOutcome([.. restarts.SelectMany(r => r.Proxies)], FleetCost.Sum(restarts.Select(r => r.Workers!)));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers) await worker.DisposeAsync();
    }

    private static string Encode(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>One worker process and its two pipes.</summary>
    private sealed class Worker(Process process, int first, int count, long startedAt) : IAsyncDisposable
    {
        private const string WorkerOnly = "PUSHBENCH_WORKER_";

        public int First => first;
        public int Count => count;

        public static Worker Start(int first, int count, IEnumerable<string> arguments)
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true };
            // Under `dotnet Meshwork.PushBench.dll` the process is dotnet itself: the worker needs the assembly named again.
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet") start.ArgumentList.Add(typeof(WorkerFleet).Assembly.Location);
            start.ArgumentList.Add("worker");
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase)).ToList()) start.Environment.Remove(name);
            // PUSHBENCH_WORKER_X=v sets X=v in the workers alone: runtime settings tried on the simulated proxies only.
            foreach (var (name, value) in start.Environment.Where(e => e.Key.StartsWith(WorkerOnly, StringComparison.Ordinal)).ToList()) start.Environment[name[WorkerOnly.Length..]] = value;
            var startedAt = Stopwatch.GetTimestamp();
            return new Worker(Process.Start(start) ?? throw new InvalidOperationException("the worker process did not start"), first, count, startedAt);
        }

        /// <summary>
        /// Latencies subtract a worker's ACK timestamps from this process's: both must read one clock. The worker's first
        /// reading must fall between this process's readings before it started and after its answer arrived.
        /// </summary>
        public async Task CheckClockAsync()
        {
            var hello = await ExpectAsync("hello", InProcessFleet.RoundTimeout);
            var received = Stopwatch.GetTimestamp();
            var theirs = long.Parse(hello[1], CultureInfo.InvariantCulture);
            if (theirs < startedAt || theirs > received)
                throw new InvalidOperationException($"the worker's Stopwatch reads {theirs}, outside this process's {startedAt}..{received}: the processes do not share a clock");
        }

        public async Task SendAsync(string line)
        {
            await process.StandardInput.WriteLineAsync(line);
            await process.StandardInput.FlushAsync();
        }

        /// <summary>The next line, split at its first space (a CSR's at its first two); it must start with <paramref name="verb"/>.</summary>
        public async Task<string[]> ExpectAsync(string verb, TimeSpan timeout)
        {
            using var expire = new CancellationTokenSource(timeout);
            var line = await process.StandardOutput.ReadLineAsync(expire.Token)
                ?? throw new EndOfStreamException($"worker {process.Id} (proxies {first}..{first + count - 1}) exited while its '{verb}' was awaited");
            var parts = line.Split(' ', verb == "csr" ? 3 : 2);
            return parts[0] == verb ? parts : throw new InvalidDataException($"worker {process.Id}: expected '{verb}', got '{line[..Math.Min(line.Length, 80)]}'");
        }

        public async ValueTask DisposeAsync()
        {
            try { await SendAsync("stop"); process.StandardInput.Close(); } catch (IOException) { }
            using var expire = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await process.WaitForExitAsync(expire.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); }
            process.Dispose();
        }
    }
}
