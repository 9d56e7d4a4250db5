using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Transport.Loop;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>Connecting on the proxy's event loop, and the registration of sockets with it.</summary>
public sealed class LoopSocketTests
{
    [Fact]
    public async Task A_connect_to_a_port_nobody_listens_on_is_refused()
    {
        // A bound socket that does not listen: its port answers a SYN with a reset.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var e = await Assert.ThrowsAsync<SocketException>(() => LoopSocket.ConnectAsync(socket, closed.LocalEndPoint!, CancellationToken.None).AsTask().WaitAsync(LoopPair.Bound));
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        Assert.Throws<ObjectDisposedException>(() => socket.Available);
    }

    [Fact]
    public async Task A_connect_to_a_listener_whose_backlog_is_full_ends_at_its_deadline()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var held = new List<LoopSocket>();
        try
        {
            // The listener never accepts: once its queue is full, the kernel drops the next SYNs unanswered.
            for (var i = 0; i < 8; i++)
            {
                using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try { held.Add(await LoopSocket.ConnectAsync(socket, listener.LocalEndPoint!, deadline.Token).AsTask().WaitAsync(LoopPair.Bound)); }
                catch (OperationCanceledException)
                {
                    Assert.Throws<ObjectDisposedException>(() => socket.Available);
                    return;
                }
            }
            Assert.Fail("every connect to a listener that never accepts completed");
        }
        finally
        {
            foreach (var socket in held) socket.Dispose();
        }
    }

    [Fact]
    public async Task A_connected_socket_carries_bytes_both_ways()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(4);
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await using var stream = new LoopStream(await LoopSocket.ConnectAsync(socket, listener.LocalEndPoint!, CancellationToken.None).AsTask().WaitAsync(LoopPair.Bound));
        using var server = listener.Accept();
        Assert.Equal(listener.LocalEndPoint, stream.Socket.RemoteEndPoint);
        await stream.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        Assert.Equal(4, server.Receive(buffer));
        server.Send("pong"u8);
        var n = await stream.ReadAsync(buffer).AsTask().WaitAsync(LoopPair.Bound);
        Assert.Equal("pong"u8.ToArray(), buffer[..n]);
    }

    [Fact]
    public async Task Disposing_a_socket_whose_descriptor_was_closed_and_reused_leaves_the_new_socket_on_the_loop()
    {
        using var first = new LoopPair();
        // A reset disposes the .NET socket under the loop's registration: its descriptor is closed and free.
        first.Local.LingerState = new LingerOption(true, 0);
        first.Local.Dispose();
        // The next socket the process opens takes the lowest free descriptor: very likely the one just closed.
        using var second = new LoopPair();
        var pending = second.Stream.ReadAsync(new byte[8]).AsTask();
        // The first registration's disposal must not remove the second socket's descriptor from the loop.
        first.Stream.Dispose();
        second.Peer.Send("ok"u8);
        Assert.Equal(2, await pending.WaitAsync(LoopPair.Bound));
    }

    [Fact]
    public void A_slot_freed_and_taken_again_carries_a_new_generation_so_stale_events_miss_it()
    {
        // Other tests register sockets at the same time: try until this test's freed slot is the one taken next.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            ulong stale;
            using (var first = new LoopPair()) stale = ((LoopSocket)first.Stream.ReadySocket).Token;
            using var second = new LoopPair();
            var token = ((LoopSocket)second.Stream.ReadySocket).Token;
            if ((uint)stale != (uint)token) continue;
            Assert.NotEqual(stale, token);
            return;
        }
        Assert.Fail("a freed registration slot was never taken again");
    }
}
