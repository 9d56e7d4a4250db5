using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.EndToEnd.Tests.FaultsUnderLoad;
using Meshwork.EndToEnd.Tests.Scenarios;
using Meshwork.Proxy.Configuration;
using Xunit.Abstractions;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Limits;

/// <summary>
/// 10,000 idle kept-alive connections against one sidecar (the native meshwork-proxy of httpbin's pod, its own
/// process), from outside the mesh (this host in loopback mode, the legacy pod in the pod network mode): each sends a request and then nothing. The sidecar holds as many as its listener's connection limit
/// (MESHWORK_PROXY_MAX_CONNECTIONS, 4096 by default) and resets the rest at accept, so its memory is bounded by
/// configuration; the figures (held, refused, RSS, descriptors) are printed. Once they close, it serves again.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class IdleConnectionsTests(MeshUnderLoad mesh, ITestOutputHelper output) : IClassFixture<MeshUnderLoad>
{
    private const int Connections = 10_000;
    private const int Batch = 100;
    private static readonly byte[] Request = "GET /ip HTTP/1.1\r\nHost: httpbin\r\n\r\n"u8.ToArray();

    [Fact]
    public async Task Ten_thousand_idle_connections_hold_at_most_the_listener_limit_and_the_sidecars_memory_is_reported()
    {
        var pod = mesh.ReadyPod("httpbin");
        var sidecar = pod.Containers.Single(c => c.Name == "istio-proxy").Pid!.Value;
        var endPoint = new IPEndPoint(IPAddress.Parse(pod.PodIp), 8080);
        var limit = ConnectionLimits.Default.MaxConnections;
        var (rssBefore, fdsBefore) = (RssKib(sidecar), Descriptors(sidecar));

        var held = new List<Socket>(limit);
        var refused = 0;
        var started = DateTime.UtcNow;
        try
        {
            for (var opened = 0; opened < Connections; opened += Batch)
            {
                foreach (var socket in await Task.WhenAll(Enumerable.Range(0, Batch).Select(_ => OpenServedAsync(endPoint, mesh))))
                {
                    if (socket is null) refused++;
                    else held.Add(socket);
                }
            }
            var elapsed = DateTime.UtcNow - started;
            var (rssHeld, fdsHeld) = (RssKib(sidecar), Descriptors(sidecar));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{Connections} idle connections in {elapsed.TotalSeconds:0} s: {held.Count} held, {refused} reset (limit {limit}); sidecar RSS {rssBefore / 1024} MiB -> {rssHeld / 1024} MiB " +
                $"({(rssHeld - rssBefore) * 1024.0 / Math.Max(1, held.Count) / 1024:0.0} KiB per held connection), descriptors {fdsBefore} -> {fdsHeld}"));

            // The sleep sidecar may keep a few pooled connections of its own on the same listener.
            Assert.InRange(held.Count, limit - 16, limit);
            Assert.Equal(Connections - held.Count, refused);
            // Besides one descriptor per held client: the forwarder's pooled connections to the app (one per request in
            // flight at once, a batch at most, kept 60 s idle) and a few of the runtime's own.
            Assert.InRange(fdsHeld - fdsBefore, held.Count, limit + Batch + 64);
            // Bounded: far below what 10,000 connections at the observed cost would take.
            Assert.True(rssHeld - rssBefore < 512 * 1024, $"the sidecar grew by {(rssHeld - rssBefore) / 1024} MiB for {held.Count} idle connections");
        }
        finally
        {
            foreach (var socket in held) socket.Dispose();
        }
        // Once they are gone, a new client is served again.
        await Mw.EventuallyAsync(async () => await OpenServedAsync(endPoint, mesh) is { } socket && Dispose(socket), TimeSpan.FromMinutes(1), () => Task.FromResult(mesh.Logs()));
    }

    /// <summary>A connection that sent one request and read its 200: now idle on the sidecar. Null when it was reset or closed.</summary>
    private static async Task<Socket?> OpenServedAsync(IPEndPoint endPoint, MeshUnderLoad mesh)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        Socket socket;
        try { socket = await mesh.ConnectFromOutsideTheMeshAsync(endPoint, timeout.Token); }
        catch (Exception e) when (e is SocketException or OperationCanceledException or TimeoutException) { return null; }
        try
        {
            await socket.SendAsync(Request, SocketFlags.None, timeout.Token);
            var buffer = new byte[2048];
            var received = 0;
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(received), SocketFlags.None, timeout.Token);
                if (n == 0) break;
                received += n;
                var text = Encoding.Latin1.GetString(buffer, 0, received);
                var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end < 0 || received == buffer.Length) continue;
                var length = text.Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase)) is { } field
                    ? int.Parse(field[15..].Trim(), CultureInfo.InvariantCulture) : 0;
                if (received >= end + 4 + length) return text.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) ? socket : Close(socket);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException) { }
        return Close(socket);
    }

    private static Socket? Close(Socket socket)
    {
        socket.Dispose();
        return null;
    }

    private static bool Dispose(Socket socket)
    {
        socket.Dispose();
        return true;
    }

    private static long RssKib(int pid) =>
        long.Parse(File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);

    private static int Descriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;
}
