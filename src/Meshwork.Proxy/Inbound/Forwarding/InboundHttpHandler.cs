using System.Diagnostics;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.ProxyProtocol.Snapshots;
using System.Net;
using Meshwork.Proxy.Inbound.Gate;
using Meshwork.Proxy.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Forwarding;

/// <summary>
/// Per-request stage of the inbound side: authorization, then forwarding to the app with
/// x-forwarded-client-cert set as Envoy sets it in Istio (mTLS only; any client-sent value dropped).
/// </summary>
internal sealed class InboundHttpHandler
{
    private readonly InboundRequestGate gate;
    private readonly ProxyMetrics metrics;
    private readonly ILogger logger;
    /// <summary>One client per app address, built at startup: the inbound map is fixed for the pod's life.</summary>
    private readonly Dictionary<(string Host, int Port), HttpMessageInvoker> _apps = new();

    public InboundHttpHandler(InboundRequestGate gate, ProxyMetrics metrics, ILogger logger, IEnumerable<Configuration.InboundTarget> targets)
    {
        this.gate = gate;
        this.metrics = metrics;
        this.logger = logger;
        foreach (var t in targets)
            _apps.TryAdd((t.AppHost, t.AppPort), HttpForwarder.CreateInvoker(null, TimeSpan.FromSeconds(10)));
    }

    public const string ForwardedClientCertHeader = "x-forwarded-client-cert";


    public async Task HandleAsync(HttpContext context, InboundConnectionFeature connection)
    {
        var started = Stopwatch.GetTimestamp();
        var request = new Http2InboundRequest(context);
        var decision = gate.Check(connection, request,
            new IPEndPoint(context.Connection.RemoteIpAddress ?? IPAddress.None, context.Connection.RemotePort),
            new IPEndPoint(context.Connection.LocalIpAddress ?? IPAddress.None, context.Connection.LocalPort));
        if (decision.Verdict == GateVerdict.Reset)
        {
            ConnectionReset.Reset(context.Features, context);
            return;
        }
        var port = decision.Port!;
        var labels = gate.Labels(connection, request);
        if (decision.Verdict == GateVerdict.Deny)
        {
            await ErrorResponder.WriteAsync(context, StatusCodes.Status403Forbidden, GateDecision.DeniedBody).ConfigureAwait(false);
            metrics.RecordRequest(labels, 403, GateDecision.DeniedFlag, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, Http1Relay.LocalBodyBytes(GateDecision.DeniedBody));
            return;
        }

        var target = connection.Target;
        var invoker = AppInvoker(target.AppHost, target.AppPort);
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        if (!rawTarget.StartsWith('/'))
            rawTarget = Uri.TryCreate(rawTarget, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : "/";
        var uri = new Uri($"http://{target.AppHost}:{target.AppPort}{rawTarget}");
        using var message = HttpForwarder.CreateRequest(context, uri, static name => name.Equals(ForwardedClientCertHeader, StringComparison.OrdinalIgnoreCase) || PeerMetadata.IsPeerHeader(name));
        if (connection.ForwardedClientCert is { } xfcc) message.Headers.TryAddWithoutValidation(ForwardedClientCertHeader, xfcc);

        var outcome = await HttpForwarder.ForwardAsync(context, invoker, message).ConfigureAwait(false);
        var status = outcome.StatusCode;
        var flags = ResponseFlags.None;
        var responseBytes = outcome.ResponseBodyBytes;
        if (outcome.Error is { } error)
        {
            ProxyLog.InboundForwardFailed(logger, port.Port, error.Stage, error.Message);
            (var mapped, flags) = ErrorResponder.Map(error.Stage == UpstreamStage.ResponseHeaders && error.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError }
                ? UpstreamStage.Connect : error.Stage, retried: false);
            if (!outcome.ResponseStarted && error.Stage != UpstreamStage.Downstream)
            {
                status = mapped;
                var body = error.Stage == UpstreamStage.ResponseHeaders && flags == ResponseFlags.UpstreamConnectionFailure
                    ? "upstream connect error or disconnect/reset before headers. reset reason: connection failure"
                    : error.Message;
                responseBytes = Http1Relay.LocalBodyBytes(body);
                await ErrorResponder.WriteAsync(context, status, body).ConfigureAwait(false);
            }
            else if (error.Stage != UpstreamStage.Downstream)
            {
                context.Abort();
            }
        }
        metrics.RecordRequest(labels, status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds, HttpForwarder.RequestBodyBytes(message), responseBytes);
    }

    private HttpMessageInvoker AppInvoker(string host, int port) => _apps[(host, port)];
}
