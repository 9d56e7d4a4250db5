namespace Meshwork.ControlPlane.ConfigApi.PortForward.Spdy;

/// <summary>The peer broke SPDY/3's framing or header rules; the connection cannot go on (a GOAWAY with PROTOCOL_ERROR ends it).</summary>
public sealed class SpdyProtocolException : Exception
{
    public SpdyProtocolException()
    {
    }

    public SpdyProtocolException(string message) : base(message)
    {
    }

    public SpdyProtocolException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
