using System.Diagnostics;
using System.Globalization;
using System.Text;
using Meshwork.Runtime.Processes;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>
/// tcpdump on a pod's own interface (eth0, the pod side of its veth), entered through the network namespace of one of
/// the pod's processes: what the wire between two pods carries, before the pod's capture rules see it.
/// </summary>
public sealed class PodPacketCapture : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _file;
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private PodPacketCapture(Process process, string file)
    {
        _process = process;
        _file = file;
    }

    /// <summary>Starts tcpdump with <paramref name="filter"/> (pcap-filter(7)) in the namespace of <paramref name="podPid"/>; returns once it listens.</summary>
    public static async Task<PodPacketCapture> StartAsync(int podPid, string filter, string file)
    {
        // The pod's named namespace, never the pid's namespace directly: should the pid have left its pod (or never
        // entered it), tcpdump would listen on the machine's own eth0.
        var pod = await PodNamespaceOfAsync(podPid);
        var info = new ProcessStartInfo("nsenter") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // --immediate-mode hands each packet over as it arrives: otherwise the kernel keeps packets in a block for up to
        // a second, and a capture stopped sooner loses them all ("0 packets captured", N "received by filter").
        // -U writes each packet to the file as it comes; -Z root keeps tcpdump from switching to a user that cannot write the file.
        foreach (var arg in (string[])[$"--net=/run/netns/{pod}", "--", "tcpdump", "-i", "eth0", "--immediate-mode", "-U", "-n", "-Z", "root", "-w", file, filter])
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var capture = new PodPacketCapture(process, file);
        process.ErrorDataReceived += (_, e) => capture.OnLine(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var first = await Task.WhenAny(capture._listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (first != capture._listening.Task)
        {
            await capture.DisposeAsync();
            throw new InvalidOperationException($"tcpdump did not start listening in the pod of pid {podPid}: {capture.Stderr}");
        }
        return capture;
    }

    /// <summary>The name under /run/netns of the pod network namespace (mw-*) that <paramref name="pid"/> is in (ip-netns(8) identify).</summary>
    internal static async Task<string> PodNamespaceOfAsync(int pid)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["netns", "identify", pid.ToString(CultureInfo.InvariantCulture)]) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var names = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.SingleOrDefault(n => n.StartsWith("mw-", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"pid {pid} is not in a pod's network namespace (ip netns identify: '{string.Join(' ', names)}' {await stderr})");
    }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_stderr) _stderr.AppendLine(line);
        if (line.Contains("listening on", StringComparison.Ordinal)) _listening.TrySetResult();
    }

    /// <summary>What the capture has written so far, while it goes on (a packet cut short at the end is left out).</summary>
    public async Task<IReadOnlyList<TcpSegment>> ReadSoFarAsync()
    {
        await using var stream = new FileStream(_file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);
        return copy.Length < 24 ? [] : PcapFile.ReadTcp(copy.ToArray());
    }

    /// <summary>Stops the capture (SIGTERM: tcpdump flushes and closes the file) and reads what it saw.</summary>
    public async Task<IReadOnlyList<TcpSegment>> StopAsync()
    {
        await StopProcessAsync();
        return PcapFile.ReadTcp(await File.ReadAllBytesAsync(_file));
    }

    private async Task StopProcessAsync()
    {
        if (_process.HasExited) return;
        Posix.Signal(_process.Id, Posix.SigTerm);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try { await _process.WaitForExitAsync(timeout.Token); }
        catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
    }

    public async ValueTask DisposeAsync()
    {
        await StopProcessAsync();
        _process.Dispose();
    }
}
