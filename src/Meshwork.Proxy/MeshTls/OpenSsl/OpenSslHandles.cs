using System.Runtime.InteropServices;

namespace Meshwork.Proxy.MeshTls.OpenSsl;

/// <summary>An SSL_CTX: one per generation and role, shared by every connection of it (each SSL holds its own reference).</summary>
internal sealed class SafeSslContextHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSslNative.SSL_CTX_free(handle);
        return true;
    }
}

/// <summary>One connection's SSL (and, through SSL_set_bio, its BIO).</summary>
internal sealed class SafeSslHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSslNative.SSL_free(handle);
        return true;
    }
}

/// <summary>An X509 decoded from DER; SSL_CTX_use_certificate and the chain control take their own references.</summary>
internal sealed class SafeOpenSslX509Handle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSslNative.X509_free(handle);
        return true;
    }
}

/// <summary>The workload's private key inside OpenSSL; SSL_CTX_use_PrivateKey takes its own reference.</summary>
internal sealed class SafeOpenSslKeyHandle() : SafeHandle(0, ownsHandle: true)
{
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        OpenSslNative.EVP_PKEY_free(handle);
        return true;
    }
}
