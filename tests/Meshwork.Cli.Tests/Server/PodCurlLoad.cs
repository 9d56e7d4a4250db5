using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Meshwork.Api;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// A steady, bounded load from inside a pod: one curl in the pod (`meshwork exec`) sends <c>requests</c> GETs at most
/// <c>perSecond</c> a second over a kept-alive connection, as an app would, through the pod's own sidecar. Every
/// transfer's status is written as a line to stderr (unbuffered, so a stop loses none that finished) and counted as it
/// comes: 200 succeeded, anything else (000: no answer) failed, kept with the time it was seen.
/// </summary>
public sealed class PodCurlLoad : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _failures = new();
    private readonly Stopwatch _running = Stopwatch.StartNew();
    private long _succeeded;

    private PodCurlLoad(Process process) => _process = process;

    public long Succeeded => Interlocked.Read(ref _succeeded);

    public IReadOnlyCollection<string> Failures => _failures;

    public TimeSpan Elapsed => _running.Elapsed;

    public static PodCurlLoad Start(StateDirectory node, string @namespace, string deployment, string url, int perSecond, int requests)
    {
        var info = new ProcessStartInfo(ReplicaProcesses.Executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            "--state-dir", node.Root, "exec", "-n", @namespace, $"deploy/{deployment}", "--",
            "curl", "-s", "-o", "/dev/null", "--max-time", "30", "--rate", $"{perSecond.ToString(CultureInfo.InvariantCulture)}/s",
            "-w", "%{stderr}%{http_code}\\n", $"{url}?n=[1-{requests.ToString(CultureInfo.InvariantCulture)}]",
        })
        {
            info.ArgumentList.Add(argument);
        }
        var load = new PodCurlLoad(Process.Start(info)!);
        load._process.ErrorDataReceived += (_, e) => load.Tally(e.Data);
        load._process.OutputDataReceived += (_, _) => { };
        load._process.BeginErrorReadLine();
        load._process.BeginOutputReadLine();
        return load;
    }

    private void Tally(string? line)
    {
        if (line is null) return;
        if (line == "200") Interlocked.Increment(ref _succeeded);
        else if (line.Length > 0 && !line.StartsWith("command terminated", StringComparison.Ordinal)) _failures.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {line}");
    }

    /// <summary>Whether curl still sends (it stops on its own after its last request).</summary>
    public bool Running => !_process.HasExited;

    /// <summary>Stops curl (the request in flight is not counted either way) and waits until its output is read.</summary>
    public async Task StopAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await _process.WaitForExitAsync(deadline.Token);
        _running.Stop();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
