using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Meshwork.EndToEnd.Tests.Infrastructure;

/// <summary>
/// A running <c>port-forward</c> (meshwork's or the real kubectl's) and the local port of its "Forwarding from
/// 127.0.0.1:PORT -> REMOTE" line. A start that ends without that line (the pod is not ready yet) is tried again
/// until the deadline; the process is killed on dispose.
/// </summary>
public sealed partial class ForwardedPort : IAsyncDisposable
{
    private readonly Process _process;

    private ForwardedPort(Process process, int localPort)
    {
        _process = process;
        LocalPort = localPort;
    }

    public int LocalPort { get; }

    /// <summary>http://127.0.0.1:PORT/ of the forward.</summary>
    public Uri Url => new($"http://127.0.0.1:{LocalPort.ToString(CultureInfo.InvariantCulture)}/");

    public static async Task<ForwardedPort> StartAsync(string program, IEnumerable<string> arguments, int remotePort, TimeSpan patience,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            var process = Process.Start(info)!;
            var stderr = process.StandardError.ReadToEndAsync();
            using var first = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try
            {
                while (await process.StandardOutput.ReadLineAsync(first.Token) is { } line)
                {
                    var match = ForwardingLine().Match(line);
                    if (match.Success && match.Groups[2].Value == remotePort.ToString(CultureInfo.InvariantCulture))
                    {
                        return new ForwardedPort(process, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // No line within the minute: stopped below and tried again while the deadline allows.
            }
            Kill(process);
            var error = await stderr;
            process.Dispose();
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"{program} {string.Join(' ', info.ArgumentList)} did not start forwarding: {error}");
            await Task.Delay(500);
        }
    }

    [GeneratedRegex(@"^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$")]
    private static partial Regex ForwardingLine();

    private static void Kill(Process process)
    {
        try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try { await _process.WaitForExitAsync(bound.Token); } catch (OperationCanceledException) { }
        _process.Dispose();
    }
}
