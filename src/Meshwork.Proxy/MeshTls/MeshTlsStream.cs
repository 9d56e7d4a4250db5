using System.Collections.Frozen;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// An SslStream that carries its own connection's TLS facts: the context it was opened with, the
/// identities its server must present (client side), and what the certificate check decided. The
/// shared options' validation callback receives this stream as its sender, so nothing
/// per-connection lives in the options that every handshake of a generation shares.
/// </summary>
internal sealed class MeshTlsStream(Stream inner, MeshTlsContext context, FrozenSet<string>? expectedServerIdentities = null)
    : SslStream(inner, leaveInnerStreamOpen: false)
{
    public MeshTlsContext Context { get; } = context;

    /// <summary>Secure naming on the client side: the server must present one of these SPIFFE IDs; null checks no identity.</summary>
    public FrozenSet<string>? ExpectedServerIdentities { get; } = expectedServerIdentities;

    /// <summary>The peer's leaf, once the check accepted it.</summary>
    public X509Certificate2? PeerLeaf { get; private set; }

    /// <summary>The peer's SPIFFE ID, once the check accepted it (null for a server checked without secure naming).</summary>
    public string? PeerSpiffeUri { get; private set; }

    /// <summary>Why the certificate check refused the peer; null when it did not (or did not run).</summary>
    public HandshakeFailure? Failure { get; private set; }

    /// <summary>The check's words on the failure, for the log line and the error a caller sees.</summary>
    public string? FailureDetail { get; private set; }

    internal bool Accept(X509Certificate2 leaf, string? spiffeUri)
    {
        PeerLeaf = leaf;
        PeerSpiffeUri = spiffeUri;
        return true;
    }

    internal bool Refuse(HandshakeFailure failure, string detail)
    {
        Failure = failure;
        FailureDetail = detail;
        return false;
    }
}
