using System.Net;

namespace Meshwork.Proxy.Transport;

/// <summary>
/// Where Kestrel "listens" for connections the proxy accepted on its own sockets and hands over once it
/// knows they speak HTTP/2 (Kestrel serves h2 and h2c; every HTTP/1.1 path runs on the proxy's relay).
/// </summary>
internal sealed class HandoffEndPoint(string name) : EndPoint
{
    public string Name { get; } = name;

    public override string ToString() => $"handoff:{Name}";
}
