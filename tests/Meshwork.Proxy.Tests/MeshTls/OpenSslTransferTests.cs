using System.Collections.Frozen;
using System.Security.Cryptography;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.MeshTls.OpenSsl;
using static Meshwork.Proxy.Tests.MeshTls.TlsLoopback;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>Bytes through an established OpenSSL stream: bulk both ways at once, small reads, writes that wait, cancellation, dispose, close_notify.</summary>
public sealed class OpenSslTransferTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>An established pair whose sockets have small kernel buffers, so a large write must wait for the reader.</summary>
    private static async Task<(OpenSslStream Server, OpenSslStream Client)> EstablishedAsync()
    {
        var (clientSocket, serverSocket) = await ConnectSocketsAsync();
        foreach (var socket in new[] { clientSocket, serverSocket })
        {
            socket.SendBufferSize = 32768;
            socket.ReceiveBufferSize = 32768;
        }
        var serving = MeshTlsServer.HandshakeAsync(OnLoop(serverSocket), Httpbin.Value, HandshakeTimeout, CancellationToken.None).AsTask();
        var client = await MeshTlsClient.HandshakeAsync(OnLoop(clientSocket), Sleep.Value, "httpbin", ClientAlpn.Tcp, presentCertificate: true,
            new[] { "spiffe://cluster.local/ns/foo/sa/httpbin" }.ToFrozenSet(), HandshakeTimeout, CancellationToken.None);
        var server = await serving;
        return ((OpenSslStream)Assert.IsType<ServerHandshake.Mutual>(server).Tls, (OpenSslStream)Assert.IsType<ClientHandshake.Established>(client).Tls);
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes in reads of at most <paramref name="chunk"/> (records split across reads).</summary>
    private static async Task<byte[]> ReadAllAsync(Stream stream, int length, int chunk)
    {
        var result = new byte[length];
        var offset = 0;
        while (offset < length)
        {
            var n = await stream.ReadAsync(result.AsMemory(offset, Math.Min(chunk, length - offset)));
            Assert.True(n > 0, $"end of stream after {offset} of {length} bytes");
            offset += n;
        }
        return result;
    }

    [Fact]
    public async Task A_megabyte_goes_both_ways_at_once_with_each_stream_read_and_written_from_two_threads()
    {
        var (server, client) = await EstablishedAsync();
        await using var _1 = server;
        await using var _2 = client;
        var up = RandomNumberGenerator.GetBytes(1 << 20);
        var down = RandomNumberGenerator.GetBytes(1 << 20);

        // Nobody reads yet, and the kernel buffers hold a few KiB: this write must wait for the reader.
        var uploading = client.WriteAsync(up).AsTask();
        Assert.False(uploading.IsCompleted);
        var downloading = Task.Run(async () => await server.WriteAsync(down));
        var serverReads = Task.Run(() => ReadAllAsync(server, up.Length, 1000));
        var clientReads = Task.Run(() => ReadAllAsync(client, down.Length, 777));

        await Task.WhenAll(uploading, downloading, serverReads, clientReads).WaitAsync(Bound);
        Assert.Equal(up, await serverReads);
        Assert.Equal(down, await clientReads);
    }

    [Fact]
    public async Task A_close_notify_ends_the_peers_reads_while_it_can_still_answer()
    {
        var (server, client) = await EstablishedAsync();
        await using var _1 = server;
        await using var _2 = client;
        await client.WriteAsync("last"u8.ToArray());
        await client.ShutdownAsync();
        Assert.Equal("last"u8.ToArray(), await ReadAllAsync(server, 4, 16));
        Assert.Equal(0, await server.ReadAsync(new byte[16]).AsTask().WaitAsync(Bound));
        // Half-closed: the server still answers, and the client still reads it.
        await server.WriteAsync("answer"u8.ToArray());
        Assert.Equal("answer"u8.ToArray(), await ReadAllAsync(client, 6, 16));
    }

    [Fact]
    public async Task A_pending_read_ends_on_cancellation_and_another_on_dispose()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var cancel = new CancellationTokenSource();
        var cancelled = client.ReadAsync(new byte[16], cancel.Token).AsTask();
        Assert.False(cancelled.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Bound));

        // The stream still works after a cancelled read.
        await server.WriteAsync("x"u8.ToArray());
        Assert.Equal("x"u8.ToArray(), await ReadAllAsync(client, 1, 16));

        var pending = client.ReadAsync(new byte[16]).AsTask();
        Assert.False(pending.IsCompleted);
        await client.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => pending.WaitAsync(Bound));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ReadAsync(new byte[16]).AsTask());
        // The server's end sees the connection go: an end of stream, or a reset when the closed socket had bytes unread.
        try { Assert.Equal(0, await server.ReadAsync(new byte[16]).AsTask().WaitAsync(Bound)); }
        catch (IOException) { }
    }
}
