using System.Net.Sockets;
using System.Text;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>The plaintext stream on the proxy's event loop, over real sockets on 127.0.0.1.</summary>
public sealed class LoopStreamTests
{
    [Fact]
    public async Task A_read_pends_until_bytes_arrive_and_then_returns_them()
    {
        using var pair = new LoopPair();
        var buffer = new byte[64];
        var read = pair.Stream.ReadAsync(buffer).AsTask();
        Assert.False(read.IsCompleted); // nothing was sent yet
        pair.Peer.Send("hello"u8);
        var n = await read.WaitAsync(LoopPair.Bound);
        Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public void Bytes_sent_while_a_read_is_starting_always_wake_it()
    {
        using var pair = new LoopPair();
        var race = new ReadRace(pair, rounds: 20_000);
        var sender = new Thread(race.Send) { IsBackground = true };
        sender.Start();
        // The reader runs on this thread, never on the loop's: a read started by a continuation on the loop thread
        // could not race the loop's own delivery of the event.
        Assert.Null(race.Read());
        Assert.True(sender.Join(LoopPair.Bound));
    }

    /// <summary>
    /// The sender starts with each read and spins a varying while before sending, so that its byte lands anywhere
    /// around the read: before its syscall, between the syscall or the readiness check that found nothing and the
    /// wait, or after the wait pends. A lost wake-up hangs the read into the bound.
    /// </summary>
    private sealed class ReadRace(LoopPair pair, int rounds)
    {
        private int _go;

        public void Send()
        {
            var random = new Random(20);
            for (var i = 0; i < rounds; i++)
            {
                // Yielding, not spinning: the loop thread needs a core to deliver the event while the reader runs.
                while (Volatile.Read(ref _go) <= i) Thread.Yield();
                Thread.SpinWait(random.Next(0, 400));
                pair.Peer.Send([(byte)i]);
            }
        }

        /// <summary>Null when every round read its byte; otherwise what went wrong.</summary>
        public string? Read()
        {
            var buffer = new byte[16];
            for (var i = 0; i < rounds; i++)
            {
                Volatile.Write(ref _go, i + 1);
                var read = pair.Stream.ReadAsync(buffer).AsTask();
                if (!read.Wait(LoopPair.Bound)) return $"read {i} was never woken";
                if (read.Result != 1 || buffer[0] != (byte)i) return $"read {i} returned {read.Result} bytes, first {buffer[0]}";
            }
            return null;
        }
    }

    [Fact]
    public async Task The_peers_end_of_stream_reads_as_zero_after_the_data()
    {
        using var pair = new LoopPair();
        var buffer = new byte[64];
        var pending = pair.Stream.ReadAsync(buffer).AsTask();
        pair.Peer.Send("last"u8);
        pair.Peer.Shutdown(SocketShutdown.Send);
        var n = await pending.WaitAsync(LoopPair.Bound);
        Assert.Equal("last", Encoding.ASCII.GetString(buffer, 0, n));
        Assert.Equal(0, await pair.Stream.ReadAsync(buffer).AsTask().WaitAsync(LoopPair.Bound));
    }

    [Fact]
    public async Task Data_and_end_of_stream_queued_before_registration_read_as_the_data_then_zero()
    {
        // One edge announces both: a short read of the data must not leave the end of stream unread.
        using var pair = new LoopPair(beforeLoop: peer =>
        {
            peer.Send("early"u8);
            peer.Shutdown(SocketShutdown.Send);
        });
        var buffer = new byte[64];
        var total = 0;
        int n;
        while ((n = await pair.Stream.ReadAsync(buffer.AsMemory(total)).AsTask().WaitAsync(LoopPair.Bound)) > 0) total += n;
        Assert.Equal("early", Encoding.ASCII.GetString(buffer, 0, total));
    }

    [Fact]
    public async Task A_reset_by_the_peer_fails_a_pending_read_with_connection_reset()
    {
        using var pair = new LoopPair();
        var pending = pair.Stream.ReadAsync(new byte[64]).AsTask();
        pair.Peer.LingerState = new LingerOption(true, 0);
        pair.Peer.Close();
        var e = await Assert.ThrowsAsync<IOException>(() => pending.WaitAsync(LoopPair.Bound));
        Assert.Equal(SocketError.ConnectionReset, Assert.IsType<SocketException>(e.InnerException).SocketErrorCode);
    }

    [Fact]
    public async Task A_cancelled_read_throws_and_the_next_read_still_gets_the_bytes()
    {
        using var pair = new LoopPair();
        var buffer = new byte[64];
        using (var cts = new CancellationTokenSource())
        {
            var pending = pair.Stream.ReadAsync(buffer, cts.Token).AsTask();
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(LoopPair.Bound));
        }
        pair.Peer.Send("after"u8);
        var n = await pair.Stream.ReadAsync(buffer).AsTask().WaitAsync(LoopPair.Bound);
        Assert.Equal("after", Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public async Task Disposing_the_stream_fails_a_pending_read()
    {
        using var pair = new LoopPair();
        var pending = pair.Stream.ReadAsync(new byte[64]).AsTask();
        await pair.Stream.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(LoopPair.Bound));
    }

    [Fact]
    public async Task A_write_larger_than_the_send_buffer_completes_once_the_peer_reads_it_all()
    {
        using var pair = new LoopPair(localSendBuffer: 16 * 1024);
        var payload = new byte[4 * 1024 * 1024];
        Random.Shared.NextBytes(payload);
        var write = pair.Stream.WriteAsync(payload).AsTask();
        Assert.False(write.IsCompleted); // the kernel holds far less than 4 MiB between the two sockets
        var received = await Task.Run(() => pair.PeerReceive(payload.Length)).WaitAsync(LoopPair.Bound);
        await write.WaitAsync(LoopPair.Bound);
        Assert.Equal(payload, received);
    }

    [Fact]
    public async Task A_cancelled_write_to_a_peer_that_does_not_read_throws()
    {
        using var pair = new LoopPair(localSendBuffer: 16 * 1024);
        using var cts = new CancellationTokenSource();
        var write = pair.Stream.WriteAsync(new byte[4 * 1024 * 1024], cts.Token).AsTask();
        Assert.False(write.IsCompleted);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(LoopPair.Bound));
    }

    [Fact]
    public async Task Writes_reach_the_peer_in_order()
    {
        using var pair = new LoopPair();
        for (var i = 0; i < 100; i++) await pair.Stream.WriteAsync(Encoding.ASCII.GetBytes($"{i:D3}"));
        var text = Encoding.ASCII.GetString(pair.PeerReceive(300));
        Assert.Equal(string.Concat(Enumerable.Range(0, 100).Select(i => $"{i:D3}")), text);
    }
}
