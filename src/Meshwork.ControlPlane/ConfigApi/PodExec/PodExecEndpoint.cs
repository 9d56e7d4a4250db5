using Meshwork.Model.Schema;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.ConfigApi.PodExec;

/// <summary>
/// The pod exec subresource, <c>/api/v1/namespaces/{ns}/pods/{name}/exec</c>, over the WebSocket
/// channel protocol kubectl speaks since 1.30 (<see cref="ChannelProtocol"/>). SPDY, which older
/// kubectl versions use, is refused with a Status that says which protocol to use.
/// </summary>
public static class PodExecEndpoint
{
    /// <summary>Pings keep idle sessions (a shell waiting for input) alive through NATs and proxies.</summary>
    public static WebSocketOptions WebSocketOptions { get; } = new() { KeepAliveInterval = TimeSpan.FromSeconds(30) };

    public static IEndpointRouteBuilder MapPodExec(this IEndpointRouteBuilder app)
    {
        // A WebSocket handshake is a GET; kubectl's SPDY upgrade is a POST, answered with the refusal below.
        app.MapMethods("/api/v1/namespaces/{ns}/pods/{name}/exec", ["GET", "POST"], (Delegate)ExecAsync);
        return app;
    }

    private static async Task<IResult> ExecAsync(HttpContext context, string ns, string name)
    {
        KindRegistry.TryGetKind("Pod", out var podKind);
        if (ExecRequest.Parse(context.Request.Query, out var invalid) is not { } request)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest, invalid!, podKind, name);
        }
        var (container, refusal) = await PodContainerLookup.FindAsync(context, ns, name, request.Container).ConfigureAwait(false);
        if (refusal is not null) return refusal;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest,
                $"exec is served over WebSocket ({ChannelProtocol.V5} or {ChannelProtocol.V4}, kubectl 1.30 or later), not SPDY", podKind, name);
        }
        if (ChannelProtocol.Negotiate(context.WebSockets.WebSocketRequestedProtocols) is not { } protocol)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest,
                $"none of the offered WebSocket protocols [{string.Join(", ", context.WebSockets.WebSocketRequestedProtocols)}] is served; exec speaks {ChannelProtocol.V5} and {ChannelProtocol.V4}", podKind, name);
        }
        if (context.RequestServices.GetService<IContainerCommands>() is not { } commands)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest, "exec needs the local runtime beside this control plane (meshwork up)", podKind, name);
        }
        var prepared = commands.Prepare(ns, name, container!, request.Command);
        if (prepared.StartInfo is not { } start)
        {
            return KubeStatus.Failure(KubeStatus.BadRequest, prepared.Refusal ?? $"container {container} of pod {name} cannot run commands", podKind, name);
        }

        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PodExecEndpoint).FullName!);
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = protocol }).ConfigureAwait(false);
        // Only where the command runs is logged: its words may carry credentials.
        ConfigApiLog.ExecStarted(logger, ns, name, container!, protocol);
        var exitCode = await new ExecSession(socket, protocol, request).RunAsync(start, ended.Token).ConfigureAwait(false);
        if (exitCode is { } code) ConfigApiLog.ExecEnded(logger, ns, name, container!, code);
        else ConfigApiLog.ExecAbandoned(logger, ns, name, container!);
        return Results.Empty;
    }
}
