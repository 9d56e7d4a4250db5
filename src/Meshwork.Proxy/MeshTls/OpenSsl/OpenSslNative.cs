using System.Runtime.InteropServices;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>
/// The OpenSSL 3 entry points the mesh TLS engine calls: the same libssl.so.3 / libcrypto.so.3 that
/// .NET's own SslStream loads on Linux, so the process maps no new library. Source-generated
/// (no runtime marshalling stubs), so it works under the JIT and in the NativeAOT sidecar alike.
/// C <c>long</c> is <c>nint</c> here (LP64). Calls on an SSL take its raw pointer: the stream holds its
/// lock around every call and frees the SSL under the same lock, so no call races the free.
/// </summary>
internal static unsafe partial class OpenSslNative
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    // SSL_get_error results.
    public const int ErrorNone = 0, ErrorSsl = 1, ErrorWantRead = 2, ErrorWantWrite = 3, ErrorSyscall = 5, ErrorZeroReturn = 6;

    // SSL_CTX_ctrl / SSL_ctrl commands (the macros of ssl.h).
    public const int CtrlMode = 33, CtrlSetReadAhead = 41, CtrlSetSessionCacheMode = 44, CtrlSetTlsExtHostName = 55,
        CtrlChainCert = 89, CtrlSetMinProtoVersion = 123, CtrlSetMaxProtoVersion = 124;

    public const int Tls12Version = 0x0303, Tls13Version = 0x0304;
    public const long ModeEnablePartialWrite = 0x1, ModeAcceptMovingWriteBuffer = 0x2;
    public const ulong OpIgnoreUnexpectedEof = 1UL << 7, OpNoTicket = 1UL << 14, OpCipherServerPreference = 1UL << 22,
        OpNoRenegotiation = 1UL << 30, OpNoCompression = 1UL << 17;
    public const int VerifyPeer = 0x1, VerifyFailIfNoPeerCert = 0x2;
    public const int TlsExtErrOk = 0, TlsExtErrAlertFatal = 2;
    /// <summary>X509_V_ERR_APPLICATION_VERIFICATION: the verdict came from the application; the peer gets a certificate alert.</summary>
    public const int X509ErrApplicationVerification = 50;
    /// <summary>SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE: a client sent no certificate to a server that requires one.</summary>
    public const int ReasonPeerDidNotReturnCertificate = 199;

    // BIO flags (bio.h): retry read = READ | SHOULD_RETRY, retry write = WRITE | SHOULD_RETRY.
    public const int BioFlagsRead = 0x01, BioFlagsWrite = 0x02, BioFlagsRws = 0x07, BioFlagsShouldRetry = 0x08;
    public const int BioTypeSourceSink = 0x0400;
    public const int BioCtrlFlush = 11;

    [LibraryImport(Ssl)] public static partial nint TLS_method();
    [LibraryImport(Ssl)] public static partial SafeSslContextHandle SSL_CTX_new(nint method);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_free(nint ctx);
    [LibraryImport(Ssl)] public static partial nint SSL_CTX_ctrl(SafeSslContextHandle ctx, int cmd, nint larg, nint parg);
    [LibraryImport(Ssl)] public static partial ulong SSL_CTX_set_options(SafeSslContextHandle ctx, ulong options);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_set_cipher_list(SafeSslContextHandle ctx, string list);
    [LibraryImport(Ssl, StringMarshalling = StringMarshalling.Utf8)] public static partial int SSL_CTX_set_ciphersuites(SafeSslContextHandle ctx, string list);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_set_num_tickets(SafeSslContextHandle ctx, nuint tickets);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_set_verify(SafeSslContextHandle ctx, int mode, nint callback);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_set_cert_verify_callback(SafeSslContextHandle ctx, delegate* unmanaged<nint, nint, int> callback, nint arg);
    [LibraryImport(Ssl)] public static partial void SSL_CTX_set_alpn_select_cb(SafeSslContextHandle ctx, delegate* unmanaged<nint, byte**, byte*, byte*, uint, nint, int> callback, nint arg);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_use_certificate(SafeSslContextHandle ctx, SafeOpenSslX509Handle certificate);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_use_PrivateKey(SafeSslContextHandle ctx, SafeOpenSslKeyHandle key);
    [LibraryImport(Ssl)] public static partial int SSL_CTX_check_private_key(SafeSslContextHandle ctx);

    [LibraryImport(Ssl)] public static partial SafeSslHandle SSL_new(SafeSslContextHandle ctx);
    [LibraryImport(Ssl)] public static partial void SSL_free(nint ssl);
    [LibraryImport(Ssl)] public static partial void SSL_set_bio(nint ssl, nint readBio, nint writeBio);
    [LibraryImport(Ssl)] public static partial void SSL_set_accept_state(nint ssl);
    [LibraryImport(Ssl)] public static partial void SSL_set_connect_state(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_do_handshake(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_read(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl)] public static partial int SSL_peek(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl)] public static partial int SSL_write(nint ssl, byte* buffer, int count);
    [LibraryImport(Ssl)] public static partial int SSL_shutdown(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_get_error(nint ssl, int result);
    [LibraryImport(Ssl)] public static partial nint SSL_ctrl(nint ssl, int cmd, nint larg, nint parg);
    /// <summary>Returns 0 on success (unlike most of the API).</summary>
    [LibraryImport(Ssl)] public static partial int SSL_set_alpn_protos(nint ssl, byte* protocols, uint length);
    [LibraryImport(Ssl)] public static partial void SSL_get0_alpn_selected(nint ssl, byte** data, uint* length);
    [LibraryImport(Ssl)] public static partial int SSL_set_ex_data(nint ssl, int index, nint data);
    [LibraryImport(Ssl)] public static partial nint SSL_get_ex_data(nint ssl, int index);
    [LibraryImport(Ssl)] public static partial int SSL_get_ex_data_X509_STORE_CTX_idx();
    [LibraryImport(Ssl)] public static partial int SSL_session_reused(nint ssl);
    [LibraryImport(Ssl)] public static partial int SSL_version(nint ssl);

    [LibraryImport(Crypto)] public static partial nint X509_STORE_CTX_get_ex_data(nint storeContext, int index);
    [LibraryImport(Crypto)] public static partial nint X509_STORE_CTX_get0_cert(nint storeContext);
    [LibraryImport(Crypto)] public static partial nint X509_STORE_CTX_get0_untrusted(nint storeContext);
    [LibraryImport(Crypto)] public static partial void X509_STORE_CTX_set_error(nint storeContext, int error);
    [LibraryImport(Crypto)] public static partial int OPENSSL_sk_num(nint stack);
    [LibraryImport(Crypto)] public static partial nint OPENSSL_sk_value(nint stack, int index);
    [LibraryImport(Crypto)] public static partial int i2d_X509(nint certificate, byte** output);
    [LibraryImport(Crypto)] public static partial SafeOpenSslX509Handle d2i_X509(nint reuse, byte** input, nint length);
    [LibraryImport(Crypto)] public static partial void X509_free(nint certificate);
    [LibraryImport(Crypto)] public static partial SafeOpenSslKeyHandle d2i_AutoPrivateKey(nint reuse, byte** input, nint length);
    [LibraryImport(Crypto)] public static partial void EVP_PKEY_free(nint key);

    [LibraryImport(Crypto)] public static partial ulong ERR_get_error();
    [LibraryImport(Crypto)] public static partial void ERR_clear_error();
    [LibraryImport(Crypto)] public static partial void ERR_error_string_n(ulong error, byte* buffer, nuint length);

    [LibraryImport(Crypto)] public static partial int BIO_get_new_index();
    [LibraryImport(Crypto)] public static partial nint BIO_meth_new(int type, byte* name);
    [LibraryImport(Crypto)] public static partial int BIO_meth_set_write(nint method, delegate* unmanaged<nint, byte*, int, int> write);
    [LibraryImport(Crypto)] public static partial int BIO_meth_set_read(nint method, delegate* unmanaged<nint, byte*, int, int> read);
    [LibraryImport(Crypto)] public static partial int BIO_meth_set_ctrl(nint method, delegate* unmanaged<nint, int, nint, nint, nint> ctrl);
    [LibraryImport(Crypto)] public static partial int BIO_meth_set_create(nint method, delegate* unmanaged<nint, int> create);
    [LibraryImport(Crypto)] public static partial int BIO_meth_set_destroy(nint method, delegate* unmanaged<nint, int> destroy);
    [LibraryImport(Crypto)] public static partial nint BIO_new(nint method);
    [LibraryImport(Crypto)] public static partial int BIO_free(nint bio);
    [LibraryImport(Crypto)] public static partial void BIO_set_data(nint bio, nint data);
    [LibraryImport(Crypto)] public static partial nint BIO_get_data(nint bio);
    [LibraryImport(Crypto)] public static partial void BIO_set_init(nint bio, int init);
    [LibraryImport(Crypto)] public static partial void BIO_set_flags(nint bio, int flags);
    [LibraryImport(Crypto)] public static partial void BIO_clear_flags(nint bio, int flags);
}
