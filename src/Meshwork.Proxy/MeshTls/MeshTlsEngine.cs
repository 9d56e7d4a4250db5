using System.Collections.Frozen;
using Meshwork.Proxy.MeshTls.OpenSsl;
using Meshwork.Proxy.Transport;

namespace Meshwork.Proxy.MeshTls;

/// <summary>
/// Which engine carries a mesh TLS connection: OpenSSL directly on the socket when the transport is
/// the proxy's own (an <see cref="IReadySocketStream"/>, or the replay of one after sniffing), SslStream
/// over any other stream (and over every stream when the proxy's environment asks for SslStream).
/// </summary>
internal static class MeshTlsEngine
{
    /// <summary>Read once: the engine does not change under a running proxy.</summary>
    private static readonly bool SslStreamOnly = string.Equals(
        Environment.GetEnvironmentVariable(Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.MeshTlsEngine), "sslstream", StringComparison.OrdinalIgnoreCase);

    public static IMeshTlsStream Server(Stream transport, MeshTlsContext context)
    {
        if (!SslStreamOnly && ReadySocketOf(transport, out var replay) is { } socket) return OpenSslStream.Server(transport, socket, replay, context);
        var options = context.ServerOptions ?? throw new InvalidOperationException("the mesh TLS context has no workload certificate to serve");
        return MeshSslStream.Server(transport, context, options);
    }

    public static IMeshTlsStream Client(Stream transport, MeshTlsContext context, string targetHost, ClientAlpn alpn, bool presentCertificate,
        FrozenSet<string>? expectedServerIdentities)
    {
        if (!SslStreamOnly && transport is IReadySocketStream own)
            return OpenSslStream.Client(transport, own.ReadySocket, context, targetHost, alpn, presentCertificate, expectedServerIdentities);
        return MeshSslStream.Client(transport, context, expectedServerIdentities, context.ClientOptions(targetHost, alpn, presentCertificate));
    }

    /// <summary>The socket under <paramref name="transport"/> when the proxy's loop owns it, with the sniffed bytes not yet read (which the TLS engine then reads first).</summary>
    private static IReadySocket? ReadySocketOf(Stream transport, out ReadOnlyMemory<byte> replay)
    {
        replay = ReadOnlyMemory<byte>.Empty;
        switch (transport)
        {
            case IReadySocketStream direct:
                return direct.ReadySocket;
            case ReplayStream { Inner: IReadySocketStream sniffed } replaying:
                replay = replaying.TakeUnread();
                return sniffed.ReadySocket;
            default:
                return null;
        }
    }
}
