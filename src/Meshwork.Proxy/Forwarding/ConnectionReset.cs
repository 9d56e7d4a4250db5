using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Meshwork.Proxy.Forwarding;

/// <summary>
/// An abortive close: SO_LINGER with a zero timeout, then close, so the kernel sends RST instead of
/// FIN. That is what a client sees when Envoy finds no filter chain for plaintext on a STRICT port:
/// curl prints 000 and exits 56 ("Recv failure: Connection reset by peer").
/// </summary>
internal static class ConnectionReset
{
    public static void Reset(Microsoft.AspNetCore.Http.Features.IFeatureCollection features, Microsoft.AspNetCore.Http.HttpContext context)
    {
        var socket = features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is not null) Reset(socket);
        context.Abort();
    }

    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            // Dispose without Shutdown: shutdown would send FIN first, and curl would report an empty reply (52).
            socket.Dispose();
        }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }
}
