using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using static Meshwork.Proxy.MeshTls.OpenSsl.OpenSslNative;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>
/// What OpenSSL calls back into during a handshake, set once on every context. No exception crosses
/// back into native code: each callback catches and fails closed (the handshake fails with an alert).
/// </summary>
internal static unsafe class OpenSslCallbacks
{
    /// <summary>The server's ALPN values in its order of preference, as SslStream's server selects (RFC 7301 §3.2).</summary>
    private static readonly byte[][] ServerAlpn = MeshTlsContext.ServerAlpn.Select(p => p.Protocol.ToArray()).ToArray();

    /// <summary>
    /// Replaces OpenSSL's chain building: the peer's leaf and the certificates it sent go to
    /// <see cref="PeerCertificateCheck"/>, whose verdict lands on the connection's <see cref="PeerVerdict"/>.
    /// A refusal returns 0 with an application-verification error, so OpenSSL ends the handshake with a
    /// certificate alert to the peer, where SslStream's callback refused it.
    /// </summary>
    [UnmanagedCallersOnly]
    public static int VerifyPeer(nint storeContext, nint argument)
    {
        OpenSslStream? stream = null;
        try
        {
            var ssl = X509_STORE_CTX_get_ex_data(storeContext, SSL_get_ex_data_X509_STORE_CTX_idx());
            stream = OpenSslStream.Of(ssl);
            if (stream is not null && Check(stream, storeContext)) return 1;
        }
        catch (Exception e)
        {
            if (stream is not null) PeerCertificateCheck.Unreadable(stream.Peer, e);
        }
        X509_STORE_CTX_set_error(storeContext, X509ErrApplicationVerification);
        return 0;
    }

    private static bool Check(OpenSslStream stream, nint storeContext)
    {
        var leafHandle = X509_STORE_CTX_get0_cert(storeContext);
        var leaf = leafHandle == 0 ? null : ToCertificate(leafHandle);
        var intermediates = new List<X509Certificate2>();
        var untrusted = X509_STORE_CTX_get0_untrusted(storeContext);
        if (leaf is not null && untrusted != 0)
        {
            var count = OPENSSL_sk_num(untrusted);
            for (var i = 0; i < count; i++)
                PeerCertificateCheck.AddIntermediate(intermediates, leaf, ToCertificate(OPENSSL_sk_value(untrusted, i)));
        }
        // The server checks its client's certificate; the client checks its server's.
        return PeerCertificateCheck.Check(stream.Peer, leaf, intermediates, server: !stream.IsServer);
    }

    private static X509Certificate2 ToCertificate(nint x509)
    {
        var length = i2d_X509(x509, null);
        if (length <= 0) throw new System.Security.Cryptography.CryptographicException("the peer certificate cannot be encoded");
        var der = new byte[length];
        fixed (byte* p = der)
        {
            var cursor = p;
            i2d_X509(x509, &cursor);
        }
        return X509CertificateLoader.LoadCertificate(der);
    }

    /// <summary>The first of the server's ALPN values that the client offered; no overlap fails the handshake (no_application_protocol), as SslStream's server does.</summary>
    [UnmanagedCallersOnly]
    public static int SelectAlpn(nint ssl, byte** selected, byte* selectedLength, byte* offered, uint offeredLength, nint argument)
    {
        try
        {
            var list = new ReadOnlySpan<byte>(offered, (int)offeredLength);
            foreach (var wanted in ServerAlpn)
            {
                for (var i = 0; i < list.Length;)
                {
                    var length = list[i];
                    if (i + 1 + length > list.Length) break;
                    if (list.Slice(i + 1, length).SequenceEqual(wanted))
                    {
                        // Points into the client's list, which OpenSSL keeps for the handshake.
                        *selected = offered + i + 1;
                        *selectedLength = length;
                        return TlsExtErrOk;
                    }
                    i += 1 + length;
                }
            }
        }
        catch (Exception)
        {
            // Fall through: fail closed.
        }
        return TlsExtErrAlertFatal;
    }
}
