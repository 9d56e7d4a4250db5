namespace Meshwork.Proxy.Http1;

/// <summary>
/// A malformed, ambiguous or oversized HTTP/1.x message: the connection cannot go on, since where the
/// next message starts is no longer known. <see cref="Status"/> is what the proxy answers a client whose
/// request this is (400, 431, 501, 505) before closing; a response from an upstream that fails to parse
/// becomes a 502 instead.
/// </summary>
internal sealed class HttpWireException(int status, string message) : IOException(message)
{
    public int Status { get; } = status;

    public static HttpWireException Malformed(string message) => new(400, message);
}
