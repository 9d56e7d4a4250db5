namespace Meshwork.Proxy.MeshTls;

/// <summary>What the caller will speak on an originated mesh connection, which decides the ALPN values offered.</summary>
internal enum ClientAlpn
{
    /// <summary>Opaque TCP (Istio's istio-peer-exchange / istio).</summary>
    Tcp,
    /// <summary>HTTP/1.1 (istio-http/1.1, istio, http/1.1).</summary>
    Http1,
    /// <summary>HTTP/2 with prior knowledge: only h2 is offered, and the server must select it.</summary>
    Http2,
}
