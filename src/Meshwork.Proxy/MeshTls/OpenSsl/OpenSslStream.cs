using System.Collections.Frozen;
using System.Net;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Text;
using Meshwork.Proxy.Transport;
using static Meshwork.Proxy.MeshTls.OpenSsl.OpenSslNative;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>
/// Mesh TLS through OpenSSL on the proxy's own socket: SSL_read and SSL_write go through
/// <see cref="ReadySocketBio"/> straight to the descriptor, so a read that OpenSSL can answer completes
/// synchronously without allocating, and one that cannot waits for the socket's readiness, then retries.
/// </summary>
/// <remarks>
/// One reader and one writer may run at once (a relay, Kestrel's HTTP/2), but OpenSSL forbids two
/// threads inside one SSL: every SSL call holds <see cref="_sync"/>; none blocks (the BIO never does),
/// and no lock is held across an await. Dispose frees the SSL under the same lock, so no call races it.
/// </remarks>
internal sealed partial class OpenSslStream : Stream, IMeshTlsStream, IPollableReadStream
{
    private readonly Lock _sync = new();
    private readonly Stream _owner;
    private readonly ReadyTransport _transport;
    private readonly SafeSslHandle _ssl;
    private readonly nint _handle;
    private GCHandle _self;
    private GCHandle _transportHandle;
    private bool _disposed;
    /// <summary>A fatal error ended the session: OpenSSL forbids SSL_shutdown after one.</summary>
    private bool _fatal;

    private OpenSslStream(Stream owner, IReadySocket socket, ReadOnlyMemory<byte> replay, SafeSslContextHandle context, PeerVerdict peer, bool server)
    {
        _owner = owner;
        Peer = peer;
        IsServer = server;
        _transport = new ReadyTransport(socket, replay);
        ERR_clear_error();
        _ssl = SSL_new(context);
        if (_ssl.IsInvalid) throw new InvalidOperationException($"OpenSSL: SSL_new failed: {OpenSslErrors.TakeReason()}");
        _handle = _ssl.DangerousGetHandle();
        // Weak: the stream and its fields keep themselves alive; a stream dropped undisposed is still collected (its SSL freed by the SafeHandle).
        _transportHandle = GCHandle.Alloc(_transport, GCHandleType.Weak);
        _self = GCHandle.Alloc(this, GCHandleType.Weak);
        var bio = ReadySocketBio.Create(_transportHandle);
        SSL_set_bio(_handle, bio, bio);
        SSL_set_ex_data(_handle, 0, GCHandle.ToIntPtr(_self));
        if (server) SSL_set_accept_state(_handle);
        else SSL_set_connect_state(_handle);
    }

    /// <summary>The server side of mTLS on <paramref name="socket"/>, <paramref name="replay"/> (the sniffed first bytes) read first; <paramref name="owner"/> is disposed with this stream.</summary>
    public static OpenSslStream Server(Stream owner, IReadySocket socket, ReadOnlyMemory<byte> replay, MeshTlsContext context) =>
        new(owner, socket, replay, context.OpenSsl.Server ?? throw new InvalidOperationException("the mesh TLS context has no workload certificate to serve"),
            new PeerVerdict(context, null), server: true);

    /// <summary>The client side: SNI <paramref name="targetHost"/> (not sent for an IP address, as SslStream), the ALPN list for <paramref name="alpn"/>.</summary>
    public static OpenSslStream Client(Stream owner, IReadySocket socket, MeshTlsContext context, string targetHost, ClientAlpn alpn, bool presentCertificate,
        FrozenSet<string>? expectedServerIdentities)
    {
        var contexts = context.OpenSsl;
        var ssl = presentCertificate && contexts.ClientWithCertificate is { } withCertificate ? withCertificate : contexts.AnonymousClient;
        var stream = new OpenSslStream(owner, socket, ReadOnlyMemory<byte>.Empty, ssl, new PeerVerdict(context, expectedServerIdentities), server: false);
        try { stream.SetClientHello(targetHost, MeshTlsContext.AlpnWire(alpn)); }
        catch { stream.Dispose(); throw; }
        return stream;
    }

    private unsafe void SetClientHello(string targetHost, byte[] alpn)
    {
        if (!string.IsNullOrEmpty(targetHost) && !IPAddress.TryParse(targetHost, out _))
        {
            var name = Encoding.UTF8.GetBytes(targetHost + "\0");
            fixed (byte* p = name)
                if (SSL_ctrl(_handle, CtrlSetTlsExtHostName, 0, (nint)p) != 1)
                    throw new InvalidOperationException($"OpenSSL refused the server name '{targetHost}': {OpenSslErrors.TakeReason()}");
        }
        fixed (byte* p = alpn)
            if (SSL_set_alpn_protos(_handle, p, (uint)alpn.Length) != 0) throw new InvalidOperationException($"OpenSSL refused the ALPN list: {OpenSslErrors.TakeReason()}");
    }

    /// <summary>The stream whose SSL is <paramref name="ssl"/> (for the callbacks OpenSSL makes during a handshake), or null.</summary>
    internal static OpenSslStream? Of(nint ssl)
    {
        var data = ssl == 0 ? 0 : SSL_get_ex_data(ssl, 0);
        return data == 0 ? null : GCHandle.FromIntPtr(data).Target as OpenSslStream;
    }

    public Stream Stream => this;
    public PeerVerdict Peer { get; }
    public bool IsServer { get; }
    public string ApplicationProtocol { get; private set; } = "";

    /// <summary>Whether OpenSSL resumed a session (never: the contexts keep no cache and send no tickets).</summary>
    public bool SessionReused { get { lock (_sync) return !_disposed && SSL_session_reused(_handle) == 1; } }

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public async ValueTask HandshakeAsync(CancellationToken cancellationToken)
    {
        int want;
        while ((want = HandshakeStep()) != ErrorNone)
            await WaitAsync(want, cancellationToken).ConfigureAwait(false);
        ApplicationProtocol = SelectedAlpn();
    }

    private int HandshakeStep()
    {
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var result = SSL_do_handshake(_handle);
            if (result == 1) return ErrorNone;
            var error = SSL_get_error(_handle, result);
            if (error is ErrorWantRead or ErrorWantWrite) return error;
            _fatal = true;
            throw HandshakeError(error);
        }
    }

    /// <summary>Why the handshake ended, in the exceptions <see cref="HandshakeErrors"/> classifies (and SslStream throws).</summary>
    private Exception HandshakeError(int error)
    {
        var text = OpenSslErrors.Take(out var reason);
        if (TakeTransportError() is { } transport)
            return new IOException($"the transport failed during the TLS handshake: {transport.Message}", transport);
        if (reason == ReasonPeerDidNotReturnCertificate && Peer.Failure is null)
            Peer.Refuse(HandshakeFailure.NoClientCertificate, HandshakeFailure.NoClientCertificate.Describe());
        if (Peer.Failure is null && _transport.EndOfStream)
            return new IOException("the peer closed the connection during the TLS handshake");
        return new AuthenticationException(text ?? $"the TLS handshake failed (SSL error {error})");
    }

    private Exception? TakeTransportError()
    {
        var e = _transport.Error;
        _transport.Error = null;
        return e;
    }

    private unsafe string SelectedAlpn()
    {
        byte* data;
        uint length;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SSL_get0_alpn_selected(_handle, &data, &length);
            return length == 0 ? "" : MeshTlsContext.AlpnName(new ReadOnlySpan<byte>(data, (int)length));
        }
    }

    private ValueTask WaitAsync(int want, CancellationToken cancellationToken) => want == ErrorWantWrite
        ? _transport.Socket.WaitWritableAsync(cancellationToken)
        : _transport.Socket.WaitReadableAsync(cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_sync)
            {
                if (_disposed) return;
                _disposed = true;
                _ssl.Dispose();
            }
            _transportHandle.Free();
            _self.Free();
            // Disposing the transport closes the socket, which wakes a read or write waiting for readiness.
            _owner.Dispose();
        }
        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
        return default;
    }
}
