using System.Diagnostics;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Proxy.Inbound.Authorization;
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
    private readonly ProxyState state;
    private readonly ProxyMetrics metrics;
    private readonly ILogger logger;
    /// <summary>One client per app address, built at startup: the inbound map is fixed for the pod's life.</summary>
    private readonly Dictionary<(string Host, int Port), HttpMessageInvoker> _apps = new();

    public InboundHttpHandler(ProxyState state, ProxyMetrics metrics, ILogger logger, IEnumerable<Configuration.InboundTarget> targets)
    {
        this.state = state;
        this.metrics = metrics;
        this.logger = logger;
        foreach (var t in targets)
            _apps.TryAdd((t.AppHost, t.AppPort), HttpForwarder.CreateInvoker(null, TimeSpan.FromSeconds(10)));
    }

    public const string ForwardedClientCertHeader = "x-forwarded-client-cert";
    internal const string RbacDeniedBody = "RBAC: access denied";


    public async Task HandleAsync(HttpContext context, InboundConnectionFeature connection)
    {
        var started = Stopwatch.GetTimestamp();
        var port = CurrentPort(connection);
        if (port is null || !ModeAdmits(port.Mode, connection.Tls))
        {
            // The port's mode changed under a kept-alive connection (PERMISSIVE -> STRICT, say). Envoy
            // drains connections on a listener change; we refuse the next request the way a new
            // connection would be refused, so the new mode takes effect at once.
            ProxyLog.InboundModeChanged(logger, connection.Port.Port, port?.Mode.ToString() ?? "removed");
            ConnectionReset.Reset(context.Features, context);
            return;
        }
        var decision = InboundAuthorizer.Evaluate(port, connection.Tls, null, context, logger);
        if (!decision.Allowed)
        {
            ProxyLog.InboundDenied(logger, port.Port, context.Request.Method, context.Request.Path.Value, decision.Reason);
            await ErrorResponder.WriteAsync(context, StatusCodes.Status403Forbidden, RbacDeniedBody).ConfigureAwait(false);
            metrics.RecordRequest(LabelsFor(context, connection), 403, "RBAC", Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            return;
        }

        var target = connection.Target;
        var invoker = AppInvoker(target.AppHost, target.AppPort);
        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        if (!rawTarget.StartsWith('/'))
            rawTarget = Uri.TryCreate(rawTarget, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : "/";
        var uri = new Uri($"http://{target.AppHost}:{target.AppPort}{rawTarget}");
        var labels = LabelsFor(context, connection);
        using var message = HttpForwarder.CreateRequest(context, uri, static name => name.Equals(ForwardedClientCertHeader, StringComparison.OrdinalIgnoreCase) || PeerMetadata.IsPeerHeader(name));
        if (connection.ForwardedClientCert is { } xfcc) message.Headers.TryAddWithoutValidation(ForwardedClientCertHeader, xfcc);

        var outcome = await HttpForwarder.ForwardAsync(context, invoker, message).ConfigureAwait(false);
        var status = outcome.StatusCode;
        var flags = ResponseFlags.None;
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
                await ErrorResponder.WriteAsync(context, status, body).ConfigureAwait(false);
            }
            else if (error.Stage != UpstreamStage.Downstream)
            {
                context.Abort();
            }
        }
        metrics.RecordRequest(labels, status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>The connection's labels, plus the source workload when an mTLS peer sent its metadata (cached per connection).</summary>
    private LabelsHandle LabelsFor(HttpContext context, InboundConnectionFeature connection)
    {
        if (!connection.Tls.IsMutual) return connection.Labels;
        if (connection.PeerLabels is { } cached) return cached;
        var headers = context.Request.Headers;
        if (!headers.TryGetValue(PeerMetadata.Workload, out var workload) || workload.Count == 0) return connection.Labels;
        string? Get(string name) => headers.TryGetValue(name, out var v) && v.Count > 0 ? v.ToString() : null;
        var app = Get(PeerMetadata.App);
        var labels = metrics.Intern(connection.BaseLabels with
        {
            SourceWorkload = workload.ToString(),
            SourceCanonicalService = app ?? workload.ToString(),
            SourceApp = app ?? MetricLabels.Unknown,
            SourceVersion = Get(PeerMetadata.Version) ?? MetricLabels.Unknown,
        });
        connection.PeerLabels = labels;
        return labels;
    }

    /// <summary>The port as the current snapshot has it: one reference compare per request while nothing changed.</summary>
    private InboundPort? CurrentPort(InboundConnectionFeature connection)
    {
        var current = state.Config;
        if (current is null || ReferenceEquals(current, connection.Config)) return connection.Port;
        return current.InboundByPort.TryGetValue(connection.Port.Port, out var port) ? port : null;
    }

    private static bool ModeAdmits(InboundTlsMode mode, InboundTlsOutcome tls) => mode switch
    {
        InboundTlsMode.Strict => tls.IsMutual,
        InboundTlsMode.Disable => !tls.IsMutual,
        _ => true,
    };

    private HttpMessageInvoker AppInvoker(string host, int port) => _apps[(host, port)];
}
