using System.Collections.Frozen;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Meshwork.Proxy.Identity;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.MeshTls.OpenSsl;
using Meshwork.Proxy.Transport.Loop;
using Meshwork.Testing;

namespace Meshwork.Benchmarks.Proxy;

/// <summary>
/// The two mesh TLS engines on the proxy's own sockets, side by side in one process, interleaved
/// (SslStream, OpenSSL, SslStream, ...), counting what does not depend on the box's load: bytes allocated
/// and GCs per round trip and per handshake, and memory held per idle connection; CPU µs (user and
/// system, both ends of the connection) are reported too, to be read with the load average beside them.
/// A round trip is a 128-byte request and a 256-byte answer on one established connection, as a
/// sidecar pair's keep-alive request is. For syscalls per round trip, run one engine under
/// `perf stat -e raw_syscalls:sys_enter` with N and with 0 round trips and divide the difference by N:
///   dotnet run -c Release --project bench/Meshwork.Benchmarks -- tls-engines [roundTrips] [rounds] [idleConnections] [only:sslstream|openssl]
/// </summary>
internal static class TlsEngineCounts
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private const string ServerId = "spiffe://cluster.local/ns/foo/sa/httpbin";

    public static async Task RunAsync(string[] args)
    {
        var roundTrips = args.Length > 1 ? int.Parse(args[1]) : 20_000;
        var rounds = args.Length > 2 ? int.Parse(args[2]) : 3;
        var idle = args.Length > 3 ? int.Parse(args[3]) : 1_000;
        var engines = args.Length > 4 ? [args[4] == "openssl"] : new[] { false, true };
        var ca = TestCertificateAuthority.Shared;
        var server = Context(ca.IssueWorkload("foo", "httpbin"), ca.TrustBundle);
        var client = Context(ca.IssueWorkload("foo", "sleep"), ca.TrustBundle);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(idle + 16);

        // Warm both engines (JIT, OpenSSL's lazy tables) before counting anything.
        foreach (var openSsl in engines) await (await PairAsync(listener, server, client, openSsl)).DisposeAsync();

        Console.WriteLine("engine   | round trip: user µs  sys µs  bytes alloc | handshake: user µs  sys µs  bytes alloc | idle conn: RSS bytes  managed bytes  C heap bytes");
        for (var round = 0; round < rounds; round++)
        {
            foreach (var openSsl in engines)
            {
                var rt = await RoundTripsAsync(listener, server, client, openSsl, roundTrips);
                var hs = await HandshakesAsync(listener, server, client, openSsl, 200);
                var (rss, managed, cHeap) = idle > 0 ? await IdleAsync(listener, server, client, openSsl, idle) : (0, 0, 0);
                Console.WriteLine($"{(openSsl ? "openssl " : "sslstream")} | {rt.User,19:F2} {rt.System,7:F2} {rt.Bytes,12:F0} | {hs.User,18:F0} {hs.System,7:F0} {hs.Bytes,12:F0} | {rss,20:F0} {managed,14:F0} {cHeap,13:F0}");
            }
        }
        Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
    }

    private static MeshTlsContext Context(Meshwork.Identity.WorkloadCredentials credentials, Meshwork.Identity.TrustBundle bundle) =>
        MeshTlsContext.For(null, new ActiveCredentials(credentials, DateTimeOffset.UtcNow), bundle, new[] { "cluster.local" }.ToFrozenSet(), TimeProvider.System)!;

    private sealed record Pair(IMeshTlsStream Server, IMeshTlsStream Client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Client.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    /// <summary>One connection through <paramref name="listener"/>, both ends on the proxy's loop, handshaken with the chosen engine.</summary>
    private static async Task<Pair> PairAsync(TcpListener listener, MeshTlsContext server, MeshTlsContext client, bool openSsl)
    {
        var clientSocket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var connecting = clientSocket.ConnectAsync((IPEndPoint)listener.LocalEndpoint);
        var serverSocket = await listener.AcceptSocketAsync();
        await connecting;
        serverSocket.NoDelay = true;
        var serverStream = new LoopStream(new LoopSocket(serverSocket, ownsSocket: true));
        var clientStream = new LoopStream(new LoopSocket(clientSocket, ownsSocket: true));
        IMeshTlsStream serverTls = openSsl
            ? OpenSslStream.Server(serverStream, serverStream.ReadySocket, ReadOnlyMemory<byte>.Empty, server)
            : MeshSslStream.Server(serverStream, server, server.ServerOptions!);
        IMeshTlsStream clientTls = openSsl
            ? OpenSslStream.Client(clientStream, clientStream.ReadySocket, client, "httpbin", ClientAlpn.Http1, true, new[] { ServerId }.ToFrozenSet())
            : MeshSslStream.Client(clientStream, client, new[] { ServerId }.ToFrozenSet(), client.ClientOptions("httpbin", ClientAlpn.Http1, true));
        using var cts = new CancellationTokenSource(Timeout);
        await Task.WhenAll(serverTls.HandshakeAsync(cts.Token).AsTask(), clientTls.HandshakeAsync(cts.Token).AsTask());
        if (serverTls.Peer.PeerSpiffeUri is null || clientTls.Peer.PeerSpiffeUri != ServerId) throw new InvalidOperationException("the peers were not checked");
        return new Pair(serverTls, clientTls);
    }

    private readonly record struct Cost(double User, double System, double Bytes);

    private static async Task<Cost> MeasureAsync(int count, Func<Task> work)
    {
        GC.Collect();
        var process = Process.GetCurrentProcess();
        var user = process.UserProcessorTime;
        var system = process.PrivilegedProcessorTime;
        var bytes = GC.GetTotalAllocatedBytes(precise: true);
        await work();
        var after = GC.GetTotalAllocatedBytes(precise: true);
        process.Refresh();
        return new Cost((process.UserProcessorTime - user).TotalMicroseconds / count, (process.PrivilegedProcessorTime - system).TotalMicroseconds / count,
            (double)(after - bytes) / count);
    }

    private static async Task<Cost> RoundTripsAsync(TcpListener listener, MeshTlsContext server, MeshTlsContext client, bool openSsl, int count)
    {
        await using var pair = await PairAsync(listener, server, client, openSsl);
        var request = new byte[128];
        var response = new byte[256];
        var serverBuffer = new byte[4096];
        var clientBuffer = new byte[4096];
        var serving = Task.Run(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await ReadExactlyAsync(pair.Server.Stream, serverBuffer, request.Length);
                await pair.Server.Stream.WriteAsync(response);
            }
        });
        var cost = await MeasureAsync(count, async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await pair.Client.Stream.WriteAsync(request);
                await ReadExactlyAsync(pair.Client.Stream, clientBuffer, response.Length);
            }
            await serving;
        });
        return cost;
    }

    // Pooled, so the counts are the engines' own allocations, not this loop's.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask ReadExactlyAsync(Stream stream, byte[] buffer, int length)
    {
        for (var read = 0; read < length;)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read, length - read));
            if (n == 0) throw new EndOfStreamException();
            read += n;
        }
    }

    private static Task<Cost> HandshakesAsync(TcpListener listener, MeshTlsContext server, MeshTlsContext client, bool openSsl, int count) =>
        MeasureAsync(count, async () =>
        {
            for (var i = 0; i < count; i++) await (await PairAsync(listener, server, client, openSsl)).DisposeAsync();
        });

    /// <summary>RSS and managed heap held per established connection (both ends) that carried one exchange and then went idle.</summary>
    private static async Task<(double Rss, double Managed, double CHeap)> IdleAsync(TcpListener listener, MeshTlsContext server, MeshTlsContext client, bool openSsl, int count)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var rss = Rss();
        var cHeap = CHeapInUse();
        var managed = GC.GetTotalMemory(forceFullCollection: true);
        var pairs = new List<Pair>(count);
        var buffer = new byte[256];
        for (var i = 0; i < count; i++)
        {
            var pair = await PairAsync(listener, server, client, openSsl);
            await pair.Client.Stream.WriteAsync(buffer.AsMemory(0, 128));
            await ReadExactlyAsync(pair.Server.Stream, buffer, 128);
            await pair.Server.Stream.WriteAsync(buffer.AsMemory(0, 256));
            await ReadExactlyAsync(pair.Client.Stream, buffer, 256);
            pairs.Add(pair);
        }
        var managedAfter = GC.GetTotalMemory(forceFullCollection: true);
        var rssAfter = Rss();
        var cHeapAfter = CHeapInUse();
        foreach (var pair in pairs) await pair.DisposeAsync();
        return ((double)(rssAfter - rss) / count, (double)(managedAfter - managed) / count, (double)(cHeapAfter - cHeap) / count);
    }

    /// <summary>mallinfo2(3): the C heap's fields, size_t each; uordblks (the 8th) is the bytes malloc has handed out and not had back.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 MallocInfo();

    /// <summary>C heap bytes in use (OpenSSL's objects and buffers, for both engines), free of the RSS's high-water marks.</summary>
    private static long CHeapInUse() => (long)(MallocInfo().Uordblks + MallocInfo().Hblkhd);

    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim()) * 1024;
        return 0;
    }
}
