using System.Diagnostics;
using System.Net.Sockets;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Outbound;

/// <summary>
/// The app's http_proxy: takes absolute-form requests ("GET http://httpbin.foo:8000/ip"), or
/// origin-form with a Host header, routes host:port to a service port, picks an endpoint and
/// forwards, originating mTLS or plaintext per endpoint. In the Network role it plays the plain
/// network: plaintext always, and an upstream reset becomes a client reset.
/// </summary>
internal sealed class OutboundHttpHandler(ProxyState state, OutboundClients clients, ProxyMetrics metrics, ILogger logger)
{
    private const int MaxAttempts = 3;

    public async Task HandleAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var config = state.Config;
        var method = context.Request.Method;
        if (config is null)
        {
            await ErrorResponder.WriteAsync(context, 503, "meshwork: the proxy has no configuration yet").ConfigureAwait(false);
            return;
        }
        var network = config.Snapshot.Node.Role == ProxyRole.Network;
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "/";
        if (!TryParseDestination(rawTarget, context.Request.Host, out var host, out var port, out var pathAndQuery))
        {
            await ErrorResponder.WriteAsync(context, 400, $"meshwork: cannot tell the destination of '{rawTarget}': send an absolute URL (http://host:port/path) or a Host header").ConfigureAwait(false);
            return;
        }
        var authority = $"{host}:{port}";
        if (!config.Router.TryResolve(host, port, out var target, out var routeError))
        {
            ProxyLog.OutboundFailed(logger, method, authority, UpstreamStage.NoRoute, routeError!);
            var (status, flags) = ErrorResponder.Map(UpstreamStage.NoRoute, false);
            await ErrorResponder.WriteAsync(context, status, $"meshwork: no route to {authority}: {routeError}").ConfigureAwait(false);
            metrics.RecordRequest(metrics.Intern(OutboundLabels.For(config, null, null, tcp: false)), status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return;
        }

        var invoker = clients.For(target!);
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? false;
        var tried = new List<UpstreamEndpoint>(1);
        ForwardOutcome outcome = default;
        UpstreamEndpoint? endpoint = null;
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            endpoint = target!.Picker.Pick(tried);
            if (endpoint is null) break;
            tried.Add(endpoint);
            var address = endpoint.Address.Contains(':') ? $"[{endpoint.Address}]" : endpoint.Address;
            using var message = HttpForwarder.CreateRequest(context, new Uri($"http://{address}:{endpoint.Port}{pathAndQuery}"), PeerMetadata.IsPeerHeader);
            if (endpoint.Tls == UpstreamTlsMode.IstioMutual && !network)
            {
                var node = config.Snapshot.Node;
                message.Headers.TryAddWithoutValidation(PeerMetadata.Workload, node.Workload);
                if (node.App is { } app) message.Headers.TryAddWithoutValidation(PeerMetadata.App, app);
                if (node.Version is { } version) message.Headers.TryAddWithoutValidation(PeerMetadata.Version, version);
            }
            message.Headers.Host = authority.EndsWith(":80", StringComparison.Ordinal) ? host : authority;
            if (context.Request.Headers.Host.Count > 0) message.Headers.Host = context.Request.Headers.Host.ToString();
            outcome = await HttpForwarder.ForwardAsync(context, invoker, message).ConfigureAwait(false);
            if (outcome.Error is { Stage: UpstreamStage.Connect } && !hasBody)
            {
                target.Picker.ReportConnectFailure(endpoint);
                continue;   // nothing was sent: safe to try another endpoint
            }
            if (outcome.Error is { Stage: UpstreamStage.Connect }) target.Picker.ReportConnectFailure(endpoint);
            else if (outcome.Error is null) target.Picker.ReportSuccess(endpoint);
            break;
        }

        var labels = target!.Labels.TryGetValue((object?)endpoint ?? target, out var cached)
            ? cached
            : target.Labels.GetOrAdd((object?)endpoint ?? target, metrics.Intern(OutboundLabels.For(config, target, endpoint, tcp: false)));
        if (endpoint is null && tried.Count == 0)
        {
            var (status, flags) = ErrorResponder.Map(UpstreamStage.NoHealthyUpstream, false);
            ProxyLog.OutboundFailed(logger, method, authority, UpstreamStage.NoHealthyUpstream, "no ready endpoint");
            await ErrorResponder.WriteAsync(context, status, $"meshwork: no healthy upstream: {target!.Service.Hostname}:{target.Port.Port} has no ready endpoint").ConfigureAwait(false);
            metrics.RecordRequest(labels, status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return;
        }

        var finalStatus = outcome.StatusCode;
        var finalFlags = ResponseFlags.None;
        if (outcome.Error is { } error && error.Stage != UpstreamStage.Downstream)
        {
            ProxyLog.OutboundFailed(logger, method, authority, error.Stage, error.Message);
            (var status, finalFlags) = ErrorResponder.Map(error.Stage, retried: tried.Count > 1);
            if (network && error.Stage is UpstreamStage.ResponseHeaders or UpstreamStage.ResponseBody && HttpForwarder.IsReset(error))
            {
                // The plain network passes a reset through: the client sees what it would see without a proxy.
                ConnectionReset.Reset(context.Features, context);
                finalStatus = 0;
            }
            else if (!outcome.ResponseStarted)
            {
                finalStatus = status;
                await ErrorResponder.WriteAsync(context, status, Describe(error, target!)).ConfigureAwait(false);
            }
            else context.Abort();
        }
        else if (outcome.Error is { Stage: UpstreamStage.Downstream })
        {
            finalFlags = ResponseFlags.DownstreamConnectionTermination;
        }
        metrics.RecordRequest(labels, finalStatus, finalFlags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private static string Describe(UpstreamException error, RouteTarget target) => error.Stage switch
    {
        UpstreamStage.Tls => $"upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: {error.Message}",
        UpstreamStage.Connect => $"upstream connect error or disconnect/reset before headers. reset reason: connection failure: {error.Message}",
        UpstreamStage.ResponseHeaders when HttpForwarder.IsReset(error) =>
            $"upstream connect error or disconnect/reset before headers. reset reason: connection termination ({target.Service.Hostname}:{target.Port.Port} reset the connection: it probably requires mTLS)",
        _ => error.Message,
    };

    /// <summary>Host and port from an absolute-form target (RFC 9112 §3.2.2), else from the Host header.</summary>
    internal static bool TryParseDestination(string rawTarget, HostString hostHeader, out string host, out int port, out string pathAndQuery)
    {
        host = ""; port = 80; pathAndQuery = "/";
        if (rawTarget.StartsWith("http://", StringComparison.OrdinalIgnoreCase) && Uri.TryCreate(rawTarget, UriKind.Absolute, out var uri))
        {
            host = uri.IdnHost;
            port = uri.Port;
            pathAndQuery = string.IsNullOrEmpty(uri.PathAndQuery) ? "/" : uri.PathAndQuery;
            return host.Length > 0;
        }
        if (!hostHeader.HasValue || !rawTarget.StartsWith('/')) return false;
        host = hostHeader.Host;
        port = hostHeader.Port ?? 80;
        pathAndQuery = rawTarget;
        return host.Length > 0;
    }
}
