using System.Net.Security;
using System.Security.Cryptography;
using Meshwork.Identity;
using Meshwork.Proxy.Identity;
using static Meshwork.Proxy.MeshTls.OpenSsl.OpenSslNative;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>
/// One generation's SSL_CTXs, built once from its credentials and shared by every connection of it
/// (each SSL holds its own reference, so a connection outlives a rotation): the server (workload
/// certificate, client certificate required) and the two clients (with and without the certificate).
/// Every context: TLS 1.2–1.3, no session cache, no tickets, no resumption (every connection proves its
/// identity: a resumed session carries no chain to check), verification only through
/// <see cref="PeerCertificateCheck"/> (never OpenSSL's or the OS's store), read-ahead so one read takes
/// what the socket holds. Record buffers are kept, not released when a connection goes idle
/// (SSL_MODE_RELEASE_BUFFERS): released, every request freed and re-allocated them on both sides, and a
/// sidecar pair served about half the requests per second for the same CPU.
/// </summary>
internal sealed unsafe class OpenSslContexts : IDisposable
{
    /// <summary>
    /// TLS 1.2 suites: what SslStream sets on Linux when openssl.cnf names no CipherString (ECDHE, AEAD or
    /// SHA-2, server preference).
    /// </summary>
    private const string Tls12Ciphers = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:"
        + "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES256-SHA384:ECDHE-RSA-AES128-SHA256";

    /// <summary>
    /// TLS 1.3 suites in Envoy's order (BoringSSL's with AES hardware): AES-128-GCM first. OpenSSL's default puts
    /// AES-256-GCM first, four more AES rounds per block on every record of every request for no gain in a mesh
    /// whose keys live an hour; the server's preference decides, so an inbound connection from any client gets it.
    /// </summary>
    private const string Tls13Suites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";

    private OpenSslContexts(SafeSslContextHandle? server, SafeSslContextHandle? clientWithCertificate, SafeSslContextHandle anonymousClient)
    {
        Server = server;
        ClientWithCertificate = clientWithCertificate;
        AnonymousClient = anonymousClient;
    }

    /// <summary>Null without credentials.</summary>
    public SafeSslContextHandle? Server { get; }
    /// <summary>Presents the workload certificate when a server asks; null without credentials.</summary>
    public SafeSslContextHandle? ClientWithCertificate { get; }
    /// <summary>Presents no certificate (TLS origination that is not mutual).</summary>
    public SafeSslContextHandle AnonymousClient { get; }

    public static OpenSslContexts Create(ActiveCredentials? credentials)
    {
        var anonymous = NewContext(server: false);
        if (credentials is null) return new OpenSslContexts(null, null, anonymous);
        var server = NewContext(server: true);
        var client = NewContext(server: false);
        UseCredentials(server, credentials.Credentials);
        UseCredentials(client, credentials.Credentials);
        return new OpenSslContexts(server, client, anonymous);
    }

    private static SafeSslContextHandle NewContext(bool server)
    {
        ERR_clear_error();
        var context = SSL_CTX_new(TLS_method());
        if (context.IsInvalid) throw Failed("SSL_CTX_new");
        SSL_CTX_set_options(context, OpNoCompression | OpNoRenegotiation | OpNoTicket | OpCipherServerPreference | OpIgnoreUnexpectedEof);
        if (SSL_CTX_ctrl(context, CtrlSetMinProtoVersion, Tls12Version, 0) != 1 || SSL_CTX_ctrl(context, CtrlSetMaxProtoVersion, Tls13Version, 0) != 1)
            throw Failed("setting TLS 1.2-1.3");
        if (SSL_CTX_set_cipher_list(context, Tls12Ciphers) != 1) throw Failed("SSL_CTX_set_cipher_list");
        if (SSL_CTX_set_ciphersuites(context, Tls13Suites) != 1) throw Failed("SSL_CTX_set_ciphersuites");
        SSL_CTX_ctrl(context, CtrlSetSessionCacheMode, 0, 0);
        SSL_CTX_set_num_tickets(context, 0);
        SSL_CTX_ctrl(context, CtrlMode, (nint)(ModeEnablePartialWrite | ModeAcceptMovingWriteBuffer), 0);
        SSL_CTX_ctrl(context, CtrlSetReadAhead, 1, 0);
        SSL_CTX_set_verify(context, server ? VerifyPeer | VerifyFailIfNoPeerCert : VerifyPeer, 0);
        SSL_CTX_set_cert_verify_callback(context, &OpenSslCallbacks.VerifyPeer, 0);
        if (server) SSL_CTX_set_alpn_select_cb(context, &OpenSslCallbacks.SelectAlpn, 0);
        return context;
    }

    /// <summary>The leaf, the intermediates sent after it, and the key as PKCS#8 DER (the managed copy zeroed at once).</summary>
    private static void UseCredentials(SafeSslContextHandle context, WorkloadCredentials credentials)
    {
        using (var leaf = Decode(credentials.Leaf.RawData))
            if (SSL_CTX_use_certificate(context, leaf) != 1) throw Failed("SSL_CTX_use_certificate");
        foreach (var intermediate in credentials.Intermediates)
        {
            using var x509 = Decode(intermediate.RawData);
            // SSL_CTX_add1_chain_cert: the context takes its own reference.
            if (SSL_CTX_ctrl(context, CtrlChainCert, 1, x509.DangerousGetHandle()) != 1) throw Failed("SSL_CTX_add1_chain_cert");
        }
        using var key = Pem.GetPrivateKey(credentials.Leaf);
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            SafeOpenSslKeyHandle handle;
            fixed (byte* p = pkcs8)
            {
                var cursor = p;
                handle = d2i_AutoPrivateKey(0, &cursor, pkcs8.Length);
            }
            using (handle)
            {
                if (handle.IsInvalid) throw Failed("d2i_AutoPrivateKey");
                if (SSL_CTX_use_PrivateKey(context, handle) != 1 || SSL_CTX_check_private_key(context) != 1) throw Failed("SSL_CTX_use_PrivateKey");
            }
        }
        finally { CryptographicOperations.ZeroMemory(pkcs8); }
    }

    private static SafeOpenSslX509Handle Decode(byte[] der)
    {
        SafeOpenSslX509Handle x509;
        fixed (byte* p = der)
        {
            var cursor = p;
            x509 = d2i_X509(0, &cursor, der.Length);
        }
        if (x509.IsInvalid) throw Failed("d2i_X509");
        return x509;
    }

    private static CryptographicException Failed(string call) => new($"OpenSSL: {call} failed: {OpenSslErrors.TakeReason() ?? "no reason given"}");

    /// <summary>The ALPN list in wire form (RFC 7301 §3.1: each name prefixed by its length).</summary>
    public static byte[] WireFormat(IReadOnlyList<SslApplicationProtocol> protocols)
    {
        var result = new byte[protocols.Sum(p => p.Protocol.Length + 1)];
        var offset = 0;
        foreach (var protocol in protocols)
        {
            result[offset++] = (byte)protocol.Protocol.Length;
            protocol.Protocol.Span.CopyTo(result.AsSpan(offset));
            offset += protocol.Protocol.Length;
        }
        return result;
    }

    public void Dispose()
    {
        Server?.Dispose();
        ClientWithCertificate?.Dispose();
        AnonymousClient.Dispose();
    }
}
