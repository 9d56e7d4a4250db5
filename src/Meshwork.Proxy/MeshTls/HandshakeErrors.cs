using System.Net.Sockets;
using System.Security.Authentication;

namespace Meshwork.Proxy.MeshTls;

/// <summary>Classifies an exception that ended a handshake whose certificate check had nothing to object to.</summary>
internal static class HandshakeErrors
{
    /// <summary>The exceptions a handshake ends with when the peer, the transport or the timer ends it; anything else is a bug and propagates.</summary>
    public static bool IsHandshakeError(Exception e) => e is AuthenticationException or IOException or OperationCanceledException;

    /// <summary>
    /// The failure behind <paramref name="e"/>: cancelled by the handshake timer (not by the caller)
    /// is a timeout; the caller's cancellation (the connection closed) and a transport that closed or
    /// reset are the peer going away; any other authentication failure is the TLS exchange itself.
    /// </summary>
    public static HandshakeFailure Classify(Exception e, bool callerCancelled) => e switch
    {
        OperationCanceledException => callerCancelled ? HandshakeFailure.TransportClosed : HandshakeFailure.Timeout,
        IOException => HandshakeFailure.TransportClosed,
        { InnerException: IOException or SocketException } => HandshakeFailure.TransportClosed,
        _ => HandshakeFailure.ProtocolError,
    };

    /// <summary>The check's verdict when it refused the peer, else the classified exception.</summary>
    public static (HandshakeFailure Reason, string Detail) Explain(PeerVerdict peer, Exception e, bool callerCancelled)
    {
        if (peer.Failure is { } refused) return (refused, peer.FailureDetail ?? refused.Describe());
        var failure = Classify(e, callerCancelled);
        return (failure, failure == HandshakeFailure.ProtocolError ? $"{failure.Describe()}: {e.Message}" : failure.Describe());
    }
}
