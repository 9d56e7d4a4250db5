using System.Diagnostics;
using Xunit.Abstractions;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Forwarding;

/// <summary>Bodies stream through both sidecars: nothing holds a whole body in memory.</summary>
public sealed class StreamingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long Size = 100L * 1024 * 1024;
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;
    private Pod _client = null!;

    public async Task InitializeAsync()
    {
        _app = await _mesh.StartAppAsync();
        var server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)]);
        var service = Mesh.Service("httpbin", "foo", 8000, UpstreamTlsMode.IstioMutual, ["spiffe://cluster.local/ns/foo/sa/httpbin"], (server, 8000));
        _client = await _mesh.StartPodAsync("foo", "sleep", outbound: [service]);
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    /// <summary>Runs <paramref name="transfer"/> while sampling this process's managed heap and working set; returns the peak growth of each.</summary>
    private static async Task<(long Heap, long WorkingSet, T Result)> MeasureAsync<T>(Func<Task<T>> transfer)
    {
        GC.Collect(); GC.WaitForPendingFinalizers(); GC.Collect();
        var heap0 = GC.GetTotalMemory(true);
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        var ws0 = self.WorkingSet64;
        long heapPeak = heap0, wsPeak = ws0;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                heapPeak = Math.Max(heapPeak, GC.GetTotalMemory(false));
                self.Refresh();
                wsPeak = Math.Max(wsPeak, self.WorkingSet64);
                try { await Task.Delay(20, done.Token); } catch (OperationCanceledException) { }
            }
        });
        var result = await transfer();
        await done.CancelAsync();
        await sampler;
        return (heapPeak - heap0, wsPeak - ws0, result);
    }

    [Fact]
    public async Task A_100_MB_response_streams_through_both_sidecars_in_bounded_memory()
    {
        var (heap, ws, result) = await MeasureAsync(() => Curl.RunAsync(false, "-o", "/dev/null", "-x", _client.OutboundProxy.ToString(),
            "-w", "%{http_code} %{size_download}", $"http://httpbin.foo:8000/bytes/{Size}"));
        output.WriteLine($"download: managed heap +{heap / 1024} KB, working set +{ws / 1024} KB");
        Assert.Equal($"200 {Size}", result.HttpCode);
        Assert.True(heap < 48 * 1024 * 1024, $"managed heap grew by {heap / 1024 / 1024} MB while streaming 100 MB");
        Assert.True(ws < 96 * 1024 * 1024, $"working set grew by {ws / 1024 / 1024} MB while streaming 100 MB");
    }

    [Fact]
    public async Task A_100_MB_upload_streams_through_both_sidecars_in_bounded_memory()
    {
        var file = Path.Combine(Path.GetTempPath(), $"meshwork-upload-{Guid.NewGuid():n}");
        await using (var f = File.Create(file)) f.SetLength(Size);
        try
        {
            var (heap, ws, result) = await MeasureAsync(() => Curl.RunAsync("-x", _client.OutboundProxy.ToString(),
                "-H", "Expect:", "--data-binary", $"@{file}", "http://httpbin.foo:8000/upload"));
            output.WriteLine($"upload: managed heap +{heap / 1024} KB, working set +{ws / 1024} KB");
            Assert.Equal("200", result.HttpCode);
            Assert.Equal(Size.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Body);
            Assert.True(heap < 48 * 1024 * 1024, $"managed heap grew by {heap / 1024 / 1024} MB while uploading 100 MB");
            Assert.True(ws < 96 * 1024 * 1024, $"working set grew by {ws / 1024 / 1024} MB while uploading 100 MB");
        }
        finally { File.Delete(file); }
    }
}
