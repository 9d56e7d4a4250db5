using System.Runtime.InteropServices;
using Meshwork.Proxy.Transport;
using static Meshwork.Proxy.MeshTls.OpenSsl.OpenSslNative;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>
/// What an SSL reads and writes through: the bytes already read to sniff the connection (replayed
/// first), then the socket itself, without blocking. The BIO records here what it cannot hand to
/// OpenSSL (an exception must not cross into native code), for the stream to raise after the call.
/// </summary>
internal sealed class ReadyTransport(IReadySocket socket, ReadOnlyMemory<byte> replay)
{
    private ReadOnlyMemory<byte> _replay = replay;

    public IReadySocket Socket { get; } = socket;

    /// <summary>The transport's own failure (a reset, a closed socket) that ended the last SSL call; cleared when raised.</summary>
    public Exception? Error { get; set; }

    /// <summary>The peer ended the stream (TCP FIN) under the TLS layer.</summary>
    public bool EndOfStream { get; private set; }

    /// <summary>Bytes read, 0 at the end of stream, -1 when nothing is ready.</summary>
    public int Receive(Span<byte> buffer)
    {
        if (!_replay.IsEmpty)
        {
            var n = Math.Min(buffer.Length, _replay.Length);
            _replay.Span[..n].CopyTo(buffer);
            _replay = _replay[n..];
            return n;
        }
        var read = Socket.TryReceive(buffer);
        if (read == 0) EndOfStream = true;
        return read;
    }

    public int Send(ReadOnlySpan<byte> buffer) => Socket.TrySend(buffer);
}

/// <summary>
/// A BIO over a <see cref="ReadyTransport"/>: OpenSSL reads and writes the descriptor through it
/// (as nginx's SSL does its socket), with no memory BIO, framing layer or copy in between. Nothing
/// ready becomes OpenSSL's retry (WANT_READ / WANT_WRITE), which the stream turns into a readiness wait.
/// </summary>
internal static unsafe class ReadySocketBio
{
    private static readonly nint Method = CreateMethod();

    /// <summary>A new BIO reading <paramref name="transport"/> (a GCHandle the caller frees after the SSL that owns the BIO).</summary>
    public static nint Create(GCHandle transport)
    {
        var bio = BIO_new(Method);
        if (bio == 0) throw new InvalidOperationException("OpenSSL could not allocate a BIO");
        BIO_set_data(bio, GCHandle.ToIntPtr(transport));
        BIO_set_init(bio, 1);
        return bio;
    }

    private static nint CreateMethod()
    {
        var name = "meshwork-ready-socket\0"u8;
        nint method;
        fixed (byte* p = name) method = BIO_meth_new(BIO_get_new_index() | BioTypeSourceSink, p);
        if (method == 0) throw new InvalidOperationException("OpenSSL could not create the BIO method");
        BIO_meth_set_write(method, &OnWrite);
        BIO_meth_set_read(method, &OnRead);
        BIO_meth_set_ctrl(method, &OnCtrl);
        BIO_meth_set_create(method, &OnCreate);
        BIO_meth_set_destroy(method, &OnDestroy);
        return method;
    }

    private static ReadyTransport? TransportOf(nint bio)
    {
        var data = BIO_get_data(bio);
        return data == 0 ? null : GCHandle.FromIntPtr(data).Target as ReadyTransport;
    }

    [UnmanagedCallersOnly]
    private static int OnRead(nint bio, byte* buffer, int length)
    {
        BIO_clear_flags(bio, BioFlagsRws | BioFlagsShouldRetry);
        var transport = TransportOf(bio);
        if (transport is null) return -1;
        try
        {
            var n = transport.Receive(new Span<byte>(buffer, length));
            if (n < 0) BIO_set_flags(bio, BioFlagsRead | BioFlagsShouldRetry);
            return n;
        }
        catch (Exception e)
        {
            // A hard error (no retry flag): the SSL call fails with SSL_ERROR_SYSCALL and the stream raises this.
            transport.Error = e;
            return -1;
        }
    }

    [UnmanagedCallersOnly]
    private static int OnWrite(nint bio, byte* buffer, int length)
    {
        BIO_clear_flags(bio, BioFlagsRws | BioFlagsShouldRetry);
        var transport = TransportOf(bio);
        if (transport is null) return -1;
        try
        {
            var n = transport.Send(new ReadOnlySpan<byte>(buffer, length));
            if (n < 0) BIO_set_flags(bio, BioFlagsWrite | BioFlagsShouldRetry);
            return n;
        }
        catch (Exception e)
        {
            transport.Error = e;
            return -1;
        }
    }

    /// <summary>Writes go straight to the socket, so a flush has nothing to do; every other control is unsupported (0).</summary>
    [UnmanagedCallersOnly]
    private static nint OnCtrl(nint bio, int command, nint number, nint pointer) => command == BioCtrlFlush ? 1 : 0;

    [UnmanagedCallersOnly]
    private static int OnCreate(nint bio) => 1;

    /// <summary>The GCHandle is the stream's to free; the BIO only forgets it.</summary>
    [UnmanagedCallersOnly]
    private static int OnDestroy(nint bio)
    {
        BIO_set_data(bio, 0);
        return 1;
    }
}
