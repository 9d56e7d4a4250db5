using System.Net.WebSockets;
using Meshwork.Model.Resources;
using Meshwork.Model.Schema;
using Meshwork.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.ConfigApi.PortForward;

/// <summary>
/// The pod port-forward subresource, <c>/api/v1/namespaces/{ns}/pods/{name}/portforward</c>, in both
/// ways kubectl asks for it: since 1.31 a WebSocket whose subprotocol <c>SPDY/3.1+portforward.k8s.io</c>
/// tunnels SPDY frames in binary messages (client-go's tunneling dialer), and before, or when that
/// upgrade fails, an HTTP/1.1 <c>Upgrade: SPDY/3.1</c> with <c>X-Stream-Protocol-Version:
/// portforward.k8s.io</c>. Either way the same <see cref="PortForwardSession"/> serves it. The config
/// API's authentication already holds it to the admin credential, as exec.
/// </summary>
public static class PodPortForwardEndpoint
{
    public const string StreamProtocol = "portforward.k8s.io";
    public const string TunnelProtocol = "SPDY/3.1+" + StreamProtocol;
    public const string SpdyUpgrade = "SPDY/3.1";
    public const string ProtocolVersionHeader = "X-Stream-Protocol-Version";

    /// <summary>How long the client has to answer our close of the WebSocket.</summary>
    private static readonly TimeSpan CloseLimit = TimeSpan.FromSeconds(5);

    public static IEndpointRouteBuilder MapPodPortForward(this IEndpointRouteBuilder app)
    {
        // The WebSocket handshake is a GET; the SPDY upgrade is a POST.
        app.MapMethods("/api/v1/namespaces/{ns}/pods/{name}/portforward", ["GET", "POST"], (Delegate)PortForwardAsync);
        return app;
    }

    private static async Task<IResult> PortForwardAsync(HttpContext context, string ns, string name)
    {
        KindRegistry.TryGetKind("Pod", out var podKind);
        var store = context.RequestServices.GetRequiredService<IResourceStore>();
        if (await store.FindAsync(new ResourceKey("Pod", ns, name), context.RequestAborted).ConfigureAwait(false) is not Pod)
        {
            return KubeStatus.Failure(KubeStatus.NotFound, $"pods \"{name}\" not found", podKind, name);
        }
        if (context.RequestServices.GetService<IPodPorts>() is not { } ports)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest, "port-forward needs the local runtime beside this control plane (meshwork up)", podKind, name);
        }
        if (ports.Refusal(ns, name) is { } refusal)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest, refusal, podKind, name);
        }

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PodPortForwardEndpoint).FullName!);
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        if (context.WebSockets.IsWebSocketRequest)
        {
            if (!context.WebSockets.WebSocketRequestedProtocols.Contains(TunnelProtocol, StringComparer.Ordinal))
            {
                return KubeStatus.Failure(KubeStatus.BadRequest,
                    $"none of the offered WebSocket protocols [{string.Join(", ", context.WebSockets.WebSocketRequestedProtocols)}] is served; port-forward speaks {TunnelProtocol}", podKind, name);
            }
            // The subprotocol has a '/', which RFC 6455's token grammar does not allow and .NET's WebSocket refuses
            // to name; client-go requires it echoed all the same, so the handshake answer carries it by hand.
            context.Response.Headers.SecWebSocketProtocol = TunnelProtocol;
            using var socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            await ServeAsync(new WebSocketTunnel(socket), ns, name, ports, TunnelProtocol, logger, ended.Token).ConfigureAwait(false);
            await CloseAsync(socket).ConfigureAwait(false);
            return Results.Empty;
        }
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade
            && string.Equals(context.Request.Headers.Upgrade.ToString(), SpdyUpgrade, StringComparison.OrdinalIgnoreCase))
        {
            if (!context.Request.Headers[ProtocolVersionHeader].Contains(StreamProtocol, StringComparer.Ordinal))
            {
                return KubeStatus.Failure(KubeStatus.BadRequest, $"unable to upgrade: {ProtocolVersionHeader} must offer {StreamProtocol}", podKind, name);
            }
            context.Response.Headers.Connection = "Upgrade";
            context.Response.Headers.Upgrade = SpdyUpgrade;
            context.Response.Headers[ProtocolVersionHeader] = StreamProtocol;
            await using var connection = await upgrade.UpgradeAsync().ConfigureAwait(false);
            await ServeAsync(connection, ns, name, ports, SpdyUpgrade, logger, ended.Token).ConfigureAwait(false);
            return Results.Empty;
        }
        return KubeStatus.Failure(KubeStatus.BadRequest,
            $"port-forward is served over a WebSocket ({TunnelProtocol}, kubectl 1.31 or later) or an HTTP/1.1 upgrade to {SpdyUpgrade}", podKind, name);
    }

    private static async Task ServeAsync(Stream transport, string ns, string pod, IPodPorts ports, string protocol, ILogger logger, CancellationToken cancellationToken)
    {
        PortForwardLog.Started(logger, ns, pod, protocol);
        var session = new PortForwardSession(transport, ports, ns, pod, logger);
        await session.RunAsync(cancellationToken).ConfigureAwait(false);
        PortForwardLog.Ended(logger, ns, pod, session.Forwarded);
    }

    /// <summary>A normal close, answered or not within <see cref="CloseLimit"/>; a connection already gone needs none.</summary>
    private static async Task CloseAsync(WebSocket socket)
    {
        if (socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived)) return;
        using var bound = new CancellationTokenSource(CloseLimit);
        try
        {
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, bound.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client left first.
        }
    }
}
