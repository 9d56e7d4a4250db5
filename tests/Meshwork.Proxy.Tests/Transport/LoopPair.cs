using System.Net;
using System.Net.Sockets;
using Meshwork.Proxy.Transport.Loop;

namespace Meshwork.Proxy.Tests.Transport;

/// <summary>
/// A connected pair on 127.0.0.1: one end on the proxy's event loop (<see cref="Stream"/>), the other a plain
/// blocking socket the test drives (<see cref="Peer"/>, its blocking calls bounded by 10 s).
/// </summary>
internal sealed class LoopPair : IDisposable
{
    /// <summary>What every wait in these tests is bounded by: a lost wake-up fails by this, not by a timing.</summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    public Socket Peer { get; }
    public Socket Local { get; }
    public LoopStream Stream { get; }

    /// <param name="beforeLoop">What the peer does before the local end is put on the loop.</param>
    public LoopPair(int? localSendBuffer = null, Action<Socket>? beforeLoop = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Peer = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)Bound.TotalMilliseconds,
            SendTimeout = (int)Bound.TotalMilliseconds,
        };
        if (localSendBuffer is { } size) Peer.ReceiveBufferSize = size;
        Peer.Connect(listener.LocalEndPoint!);
        // A blocking accept: the accepted socket has had no .NET async operation, as on the proxy's listeners.
        Local = listener.Accept();
        if (localSendBuffer is { } send) Local.SendBufferSize = send;
        if (beforeLoop is not null)
        {
            beforeLoop(Peer);
            // poll(2), not .NET's async engine: the local end must reach the loop with no registration elsewhere.
            Local.Poll(Bound, SelectMode.SelectRead);
        }
        Stream = new LoopStream(new LoopSocket(Local, ownsSocket: true));
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes on the peer.</summary>
    public byte[] PeerReceive(int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var n = Peer.Receive(buffer, got, count - got, SocketFlags.None);
            if (n == 0) throw new EndOfStreamException($"peer saw end of stream after {got} of {count} bytes");
            got += n;
        }
        return buffer;
    }

    public void Dispose()
    {
        Stream.Dispose();
        Peer.Dispose();
    }
}
