using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Text;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Outbound.Routing;
using Meshwork.Proxy.Outbound.TlsOrigination;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Outbound.Http2;

/// <summary>
/// A fixed outbound listener with <see cref="FixedUpstream.Http2"/>: HTTP/1.1 requests from the app (kept alive,
/// one at a time per connection) go to the service's endpoints through <see cref="Http2Upstreams"/>, so the
/// requests of all the app's connections share one mTLS HTTP/2 connection per endpoint. Routing, endpoint
/// choice, retries of requests that were never sent, peer metadata and metrics are those of the HTTP/1.1 relay.
/// </summary>
internal sealed class Http2FixedForwarder(FixedUpstream upstream, ProxyState state, UpstreamCall call, ProxyMetrics metrics, ILogger logger)
{
    private const int CopyBufferSize = 16 * 1024;
    private readonly Http2Upstreams _clients = new(call.Connector, TimeSpan.FromSeconds(10));
    private readonly string _authority = $"{upstream.Host}:{upstream.Port}";

    /// <summary>Serves one app connection from the fixed listener's own socket until it closes, or until <paramref name="stopping"/> between requests.</summary>
    public async Task ServeAsync(System.Net.Sockets.Socket socket, CancellationToken stopping)
    {
        var cancellationToken = CancellationToken.None;
        await using var stream = new System.Net.Sockets.NetworkStream(socket, ownsSocket: false);
        using var downIn = new HttpInput(stream, RelaySide.Downstream);
        using var downOut = new HttpOutput(stream, RelaySide.Downstream);
        try
        {
            while (true)
            {
                int headLength;
                try { headLength = await downIn.ReadHeadAsync(downIn.Buffered > 0 ? cancellationToken : stopping).ConfigureAwait(false); }
                catch (HttpWireException e)
                {
                    await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (e is RelayException or OperationCanceledException) { return; }
                if (headLength == 0) break;
                if (!await ForwardAsync(downIn, downOut, headLength, cancellationToken).ConfigureAwait(false)) break;
            }
        }
        catch (Exception e) when (e is RelayException or OperationCanceledException or ObjectDisposedException) { return; }
        try { socket.Shutdown(System.Net.Sockets.SocketShutdown.Send); }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or ObjectDisposedException) { }
    }

    /// <summary>One request and its response; false when the downstream connection must close.</summary>
    private async Task<bool> ForwardAsync(HttpInput downIn, HttpOutput downOut, int headLength, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        RequestHead request;
        try { request = RequestHead.Parse(downIn, headLength); }
        catch (HttpWireException e)
        {
            await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
            return false;
        }

        var config = state.Config;
        if (config is null)
        {
            await Http1Relay.WriteLocalResponseAsync(downOut, 503, "meshwork: the proxy has no configuration yet", close: true, cancellationToken).ConfigureAwait(false);
            return false;
        }
        var routed = UpstreamCall.Route(config, upstream.Host, upstream.Port, request);
        if (routed.Failure is { } routeStage)
        {
            ProxyLog.OutboundFailed(logger, request.Method.Method, _authority, routeStage, routed.Error!);
            var noRoute = UpstreamCall.Fail(routeStage, false, routed.Error!, authority: _authority);
            await Http1Relay.WriteLocalResponseAsync(downOut, noRoute.Status, noRoute.Body, close: true, cancellationToken).ConfigureAwait(false);
            metrics.RecordRequest(call.HttpLabels(config, null, null), noRoute.Status, noRoute.Flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, Http1Relay.LocalBodyBytes(noRoute.Body));
            return false;
        }

        if (request.ExpectContinue && request.Framing != BodyFraming.None)
        {
            downOut.Append("HTTP/1.1 100 Continue\r\n\r\n"u8);
            await downOut.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        var target = routed.Target!;
        var route = routed.Route;
        var fault = InjectedFault.Draw(route);
        if ((fault.Delays || fault.Aborts)
            && await fault.ApplyAsync(downOut, request.Framing != BodyFraming.None || request.Close, metrics, call.HttpLabels(config, target, null), started, cancellationToken).ConfigureAwait(false))
        {
            return request.Framing == BodyFraming.None && !request.Close;
        }
        // The route's timeout bounds the exchange up to the response head (Envoy's route timeout: 504 UT).
        using var deadline = route?.Timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (route?.Timeout is { } timeout) deadline!.CancelAfter(timeout);
        var token = deadline?.Token ?? cancellationToken;
        var path = Encoding.Latin1.GetString(CompiledRoute.RewritePath(route, routed.Match, Encoding.Latin1.GetBytes(request.PathAndQuery)));
        var invoker = _clients.For(target);
        var body = request.Framing == BodyFraming.None ? null : new RequestBody(downIn, request.Framing, request.ContentLength);
        var policy = RetryPolicy.For(route);
        List<UpstreamEndpoint>? tried = null;
        HttpResponseMessage? response = null;
        UpstreamException? failure = null;
        var retried = false;
        var endpoint = target.Picker.Pick();
        for (var attempt = 1; endpoint is not null; attempt++)
        {
            using var perTry = policy.PerTryTimeout is { } ? CancellationTokenSource.CreateLinkedTokenSource(token) : null;
            if (perTry is not null) perTry.CancelAfter(policy.PerTryTimeout!.Value);
            using var message = Http2Upstreams.CreateRequest(request.Method, target, endpoint, path);
            request.CopyHeadersTo(message, body, _authority);
            RequestHead.ApplyRoute(message, route);
            if (endpoint.Tls == UpstreamTlsMode.IstioMutual) AddPeerMetadata(message, config);
            // A request with a body is sent again only when none of it left (a connect failure), as the HTTP/1.1 relay does.
            var mayRetry = policy.HasAttemptAfter(attempt);
            bool again;
            try
            {
                response = await invoker.SendAsync(message, perTry?.Token ?? token).ConfigureAwait(false);
                failure = null;
                target.Picker.ReportSuccess(endpoint);
                again = mayRetry && body is null && policy.RetriesAnswer((int)response.StatusCode, GrpcStatus(response));
                if (!again) break;
                response.Dispose();
                response = null;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
            {
                if (cancellationToken.IsCancellationRequested) return false;
                var perTryPassed = perTry?.IsCancellationRequested == true && deadline?.IsCancellationRequested != true;
                failure = deadline?.IsCancellationRequested == true || perTryPassed
                    ? new UpstreamException(UpstreamStage.Timeout, "upstream request timeout", e)
                    : HttpForwarder.Classify(e);
                if (failure.Stage is UpstreamStage.Connect or UpstreamStage.Tls) target.Picker.ReportConnectFailure(endpoint);
                again = mayRetry && failure.Stage switch
                {
                    UpstreamStage.Connect => body is null && policy.Retries(AttemptFailure.ConnectFailure),
                    UpstreamStage.Timeout => perTryPassed && body is null && policy.Retries(AttemptFailure.PerTryTimeout),
                    UpstreamStage.ResponseHeaders => body is null && policy.Retries(AttemptFailure.Reset),
                    _ => false,
                };
                if (!again) break;
            }
            (tried ??= []).Add(endpoint);
            retried = true;
            // A connect failure moves on to an endpoint not tried yet; an answer or a reset may go back to one (Envoy's previous-hosts predicate falls back).
            endpoint = target.Picker.Pick(tried) ?? (failure?.Stage == UpstreamStage.Connect ? null : target.Picker.Pick());
        }

        var labels = call.HttpLabels(config, target, endpoint);

        if (response is null)
        {
            var stage = failure?.Stage ?? UpstreamStage.NoHealthyUpstream;
            var failed = UpstreamCall.Fail(stage, retried, failure?.Message ?? "", target);
            ProxyLog.OutboundFailed(logger, request.Method.Method, _authority, stage, failure?.Message ?? "no ready endpoint");
            await Http1Relay.WriteLocalResponseAsync(downOut, failed.Status, failed.Body, close: true, cancellationToken).ConfigureAwait(false);
            metrics.RecordRequest(labels, failed.Status, fault.WithDelayFlag(failed.Flags), Stopwatch.GetElapsedTime(started).TotalMilliseconds, body?.Relayed ?? 0, Http1Relay.LocalBodyBytes(failed.Body));
            return false;
        }

        UpstreamException? error;
        using (response)
        {
            var status = (int)response.StatusCode;
            (error, var responseStarted, var responseBytes) = await RelayResponseAsync(response, downOut, request, body, route?.ResponseEdits ?? FieldEdits.None, cancellationToken).ConfigureAwait(false);
            // The last answer was one the policy retries, and the retries ran out (Envoy's URX).
            var flags = retried && policy.RetriesAnswer(status, GrpcStatus(response)) ? ResponseFlags.UpstreamRetryLimitExceeded : ResponseFlags.None;
            if (error is not null)
            {
                ProxyLog.OutboundFailed(logger, request.Method.Method, _authority, error.Stage, error.Message);
                var failed = UpstreamCall.Fail(error.Stage, retried: false, error.Message, target);
                flags = failed.Flags;
                if (!responseStarted && error.Stage != UpstreamStage.Downstream)
                {
                    status = failed.Status;
                    responseBytes = Http1Relay.LocalBodyBytes(failed.Body);
                    await Http1Relay.WriteLocalResponseAsync(downOut, status, failed.Body, close: true, cancellationToken).ConfigureAwait(false);
                }
            }
            metrics.RecordRequest(labels, status, fault.WithDelayFlag(flags), Stopwatch.GetElapsedTime(started).TotalMilliseconds, body?.Relayed ?? 0, responseBytes);
        }
        if (body is { Complete: false })
        {
            // The response is disposed (its stream reset): let the body's copy stop before the connection's buffers go.
            try { await body.Finished.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false); }
            catch (Exception e) when (e is TimeoutException or IOException or OperationCanceledException or HttpRequestException) { }
            return false;
        }
        return error is null && !request.Close;
    }

    /// <summary>
    /// Writes the response as HTTP/1.1: the head, then the body as it comes (Content-Length, or chunked when unknown).
    /// <c>Relayed</c>: the body payload bytes written to the client.
    /// </summary>
    private static async Task<(UpstreamException? Error, bool Started, long Relayed)> RelayResponseAsync(HttpResponseMessage response, HttpOutput downOut, RequestHead request, RequestBody? body,
        FieldEdits edits, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        var noBody = request.IsHead || status is (>= 100 and < 200) or 204 or 304;
        var length = response.Content.Headers.ContentLength;
        var chunked = !noBody && length is null;
        downOut.Append("HTTP/1.1 "u8);
        downOut.AppendDecimal(status);
        downOut.Append(" "u8);
        downOut.AppendAscii(Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } reason ? reason : "Unknown");
        downOut.Append("\r\n"u8);
        AppendHeaders(downOut, response.Headers, edits);
        AppendHeaders(downOut, response.Content.Headers, edits);
        downOut.Append(edits.Added);
        if (length is { } n && (!noBody || request.IsHead)) { downOut.Append("content-length: "u8); downOut.AppendDecimal(n); downOut.Append("\r\n"u8); }
        if (chunked) downOut.Append("transfer-encoding: chunked\r\n"u8);
        // A request body the upstream answered before reading leaves the downstream connection mid-message: it closes after this.
        if (request.Close || body is { Complete: false }) downOut.Append("connection: close\r\n"u8);
        downOut.Append("\r\n"u8);
        if (noBody)
        {
            try { await downOut.FlushAsync(cancellationToken).ConfigureAwait(false); }
            catch (RelayException e) { return (new UpstreamException(UpstreamStage.Downstream, "the client went away", e), true, 0); }
            return (null, true, 0);
        }

        Stream content;
        try { content = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false); }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
        {
            downOut.Discard();
            return (new UpstreamException(UpstreamStage.ResponseBody, e.Message, e), false, 0);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        long relayed = 0;
        try
        {
            while (true)
            {
                int read;
                try { read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                {
                    // The whole body went out and the client, having it all, closed before the upstream's end of stream came.
                    if (length is { } expected && relayed == expected) break;
                    if (cancellationToken.IsCancellationRequested) return (new UpstreamException(UpstreamStage.Downstream, "the client went away", e), true, relayed);
                    // Flush what came, then end the connection without the last chunk: the client sees the body cut short.
                    try { await downOut.FlushAsync(cancellationToken).ConfigureAwait(false); } catch (RelayException) { }
                    return (new UpstreamException(UpstreamStage.ResponseBody, $"the upstream failed while sending the response body: {e.Message}", e), true, relayed);
                }
                if (read == 0) break;
                relayed += read;
                if (chunked)
                {
                    downOut.AppendAscii(read.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
                    downOut.Append("\r\n"u8);
                    await downOut.WriteAsync(buffer.AsSpan(0, read), cancellationToken).ConfigureAwait(false);
                    downOut.Append("\r\n"u8);
                }
                else await downOut.WriteAsync(buffer.AsSpan(0, read), cancellationToken).ConfigureAwait(false);
            }
            if (chunked) downOut.Append("0\r\n\r\n"u8);
            await downOut.FlushAsync(cancellationToken).ConfigureAwait(false);
            return (null, true, relayed);
        }
        catch (RelayException e) { return (new UpstreamException(UpstreamStage.Downstream, "the client went away", e), true, relayed); }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await content.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static void AppendHeaders(HttpOutput output, System.Net.Http.Headers.HttpHeaders headers, FieldEdits edits)
    {
        foreach (var (name, values) in headers.NonValidated)
        {
            if (RequestHead.IsHopByHop(name) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) || edits.Drops(name)) continue;
            foreach (var value in values)
            {
                output.AppendAscii(name);
                output.Append(": "u8);
                output.AppendUtf8(value);
                output.Append("\r\n"u8);
            }
        }
    }

    /// <summary>The grpc-status of a response head (a trailers-only gRPC answer carries it there), or -1.</summary>
    private static int GrpcStatus(HttpResponseMessage response) =>
        response.Headers.NonValidated.TryGetValues("grpc-status", out var values) && values.Count == 1
            && int.TryParse(values.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var code) ? code : -1;

    /// <summary>This workload's peer metadata (Istio's metadata exchange), as the HTTP/1.1 relay sends it.</summary>
    private static void AddPeerMetadata(HttpRequestMessage message, ActiveConfig config)
    {
        var node = config.Snapshot.Node;
        message.Headers.TryAddWithoutValidation(PeerMetadata.Workload, node.Workload);
        if (node.App is { } app) message.Headers.TryAddWithoutValidation(PeerMetadata.App, app);
        if (node.Version is { } version) message.Headers.TryAddWithoutValidation(PeerMetadata.Version, version);
    }
}
