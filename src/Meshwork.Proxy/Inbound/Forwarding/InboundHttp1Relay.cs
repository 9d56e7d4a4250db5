using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Inbound.Gate;
using Meshwork.Proxy.Inbound.Protection;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;
using Meshwork.Proxy.Transport.Loop;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Forwarding;

/// <summary>
/// The inbound HTTP/1.1 stage without an HTTP object model: per request, authorization (when a policy
/// applies), then the request goes to the app on a kept-alive connection with
/// x-forwarded-client-cert set as Envoy sets it (any client-sent value dropped), and the response
/// comes back as the app framed it. Same outcomes, bodies, metrics and logs as <see cref="InboundHttpHandler"/>,
/// which still serves HTTP/2. Between requests a connection may idle up to <see cref="ConnectionLimits.IdleTimeout"/>;
/// once a head's first byte arrives, the rest of it must follow within <see cref="ConnectionLimits.RequestHeadersTimeout"/>
/// (Envoy's request_headers_timeout), else 408 and close.
/// </summary>
internal sealed class InboundHttp1Relay(InboundTarget target, InboundRequestGate gate, ProxyMetrics metrics, DownstreamRefusals refusals, ConnectionLimits limits, ILogger logger)
{
    private static readonly byte[] XfccName = "x-forwarded-client-cert"u8.ToArray();
    private static readonly byte[] PeerPrefix = Encoding.ASCII.GetBytes(PeerMetadata.Prefix);
    private readonly UpstreamConnectionPool<int> _pool = new();

    /// <summary>
    /// Serves requests until the client closes; <paramref name="closeRequested"/> (the server stopping) ends it
    /// between requests. True when the connection must be reset: its port's mode no longer admits it.
    /// </summary>
    public async Task<bool> RunAsync(Stream downstream, InboundConnectionFeature connection, IPEndPoint? remote, IPEndPoint? local, CancellationToken cancellationToken, CancellationToken closeRequested)
    {
        var headersTimeout = limits.RequestHeadersTimeout;
        using var idle = new DownstreamIdleTimer(limits.IdleTimeout, cancellationToken, closeRequested);
        using var downIn = new HttpInput(downstream, RelaySide.Downstream);
        using var downOut = new HttpOutput(downstream, RelaySide.Downstream);
        using var pending = new HttpOutput(Stream.Null, RelaySide.Upstream, HttpOutput.HeadBufferSize);
        var xfccField = connection.ForwardedClientCert is { } xfcc ? Encoding.ASCII.GetBytes($"x-forwarded-client-cert: {xfcc}\r\n") : [];
        // One clock per connection, started for each head (no allocation or timer re-arm per request).
        using var headClock = new LazyTimeout(headersTimeout, cancellationToken);
        while (true)
        {
            int headLength;
            try
            {
                // Idle between requests: no head clock until the next head's first byte, only the idle timeout.
                if (!await idle.WaitForRequestAsync(downIn).ConfigureAwait(false)) return false;
                headClock.Start();
                headLength = await downIn.ReadHeadAsync(headClock.Token).ConfigureAwait(false);
                // A head that completed as the clock ran out is served; the next head gets a fresh clock.
                headClock.Stop();
            }
            catch (HttpWireException e)
            {
                refusals.Refuse("inbound", connection.Port.Port, RefusalReason.MalformedRequest, remote, $"{e.Status}: {e.Message}");
                await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
                return false;
            }
            catch (OperationCanceledException) when (headClock.Expired)
            {
                refusals.Refuse("inbound", connection.Port.Port, RefusalReason.RequestHeadersTimeout, remote,
                    $"the request head was not complete {headersTimeout.TotalSeconds:0.#} s after its first byte");
                await Http1Relay.WriteLocalResponseAsync(downOut, 408, "request headers timeout", close: true, cancellationToken).ConfigureAwait(false);
                return false;
            }
            catch (Exception e) when (e is RelayException or OperationCanceledException) { return false; }
            if (headLength == 0) return false;
            connection.Pending?.Release();
            var started = Stopwatch.GetTimestamp();

            Http1Relay.RequestFrame frame;
            GateDecision decision;
            LabelsHandle labels;
            pending.Discard();
            try
            {
                var head = HttpHead.ParseRequest(downIn.Span[..headLength]);
                var request = connection.Http1Request;
                request.Load(head);
                decision = gate.Check(connection, request, remote, local);
                if (decision.Verdict == GateVerdict.Reset) return true;
                labels = gate.Labels(connection, request);
                frame = Http1Relay.WriteRequestHead(head, pending, Http1Relay.OriginForm(head.Second), XfccName, xfccField, PeerPrefix);
                downIn.Consume(headLength);
            }
            catch (HttpWireException e)
            {
                refusals.Refuse("inbound", connection.Port.Port, RefusalReason.MalformedRequest, remote, $"{e.Status}: {e.Message}");
                await Http1Relay.RefuseAsync(downOut, e, cancellationToken).ConfigureAwait(false);
                return false;
            }
            var port = decision.Port!;
            if (decision.Verdict == GateVerdict.Deny)
            {
                // The body (if any) is not read: the connection closes after the answer.
                var close = frame.Close || frame.Framing != BodyFraming.None;
                await Http1Relay.WriteLocalResponseAsync(downOut, 403, GateDecision.DeniedBody, close, cancellationToken).ConfigureAwait(false);
                metrics.RecordRequest(labels, 403, GateDecision.DeniedFlag, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, Http1Relay.LocalBodyBytes(GateDecision.DeniedBody));
                if (close) return false;
                continue;
            }

            var hasBody = frame.Framing != BodyFraming.None;
            ExchangeResult result;
            var fresh = false;
            while (true)
            {
                var up = fresh ? null : _pool.TryTake(0);
                if (up is null)
                {
                    try { up = new UpstreamConnection(await ConnectAsync(cancellationToken).ConfigureAwait(false)); }
                    catch (SocketException e)
                    {
                        ProxyLog.InboundForwardFailed(logger, port.Port, UpstreamStage.Connect, e.Message);
                        var (status, flags) = ErrorResponder.Map(UpstreamStage.Connect, retried: false);
                        const string ConnectFailed = "upstream connect error or disconnect/reset before headers. reset reason: connection failure";
                        await Http1Relay.WriteLocalResponseAsync(downOut, status, ConnectFailed, close: hasBody || frame.Close, cancellationToken).ConfigureAwait(false);
                        metrics.RecordRequest(labels, status, flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, Http1Relay.LocalBodyBytes(ConnectFailed));
                        if (hasBody || frame.Close) return false;
                        result = default;
                        goto next;
                    }
                    catch (OperationCanceledException) { return false; }
                }
                up.Output.Append(pending.Written);
                result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, cancellationToken).ConfigureAwait(false);
                if (result.UpstreamReusable) _pool.Return(0, up);
                else await up.DisposeAsync().ConfigureAwait(false);
                if (result.StaleConnection && !fresh) { fresh = true; continue; }
                break;
            }

            var finalStatus = result.Status;
            var finalFlags = ResponseFlags.None;
            var responseBytes = result.ResponseBodyBytes;
            if (result.FailedStage is { } failed)
            {
                (var mapped, finalFlags) = ErrorResponder.Map(failed, retried: false);
                if (failed != UpstreamStage.Downstream)
                {
                    // A request body whose framing is broken is the client's doing: a refusal, not an app failure.
                    if (failed == UpstreamStage.DownstreamProtocolError) refusals.Refuse("inbound", port.Port, RefusalReason.MalformedRequest, remote, result.Error ?? "");
                    else ProxyLog.InboundForwardFailed(logger, port.Port, failed, result.Error ?? "");
                    if (!result.ResponseStarted)
                    {
                        finalStatus = mapped;
                        var body = result.Error ?? "upstream failure";
                        responseBytes = Http1Relay.LocalBodyBytes(body);
                        await Http1Relay.WriteLocalResponseAsync(downOut, mapped, body, close: result.DownstreamMustClose, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            metrics.RecordRequest(labels, finalStatus, finalFlags, Stopwatch.GetElapsedTime(started).TotalMilliseconds, result.RequestBodyBytes, responseBytes);
            if (result.DownstreamMustClose) return false;
            next:;
        }
    }

    private async ValueTask<Stream> ConnectAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            if (IPAddress.TryParse(target.AppHost, out var ip)) return await ConnectToAppAsync(new IPEndPoint(ip, target.AppPort), timeout.Token).ConfigureAwait(false);
            // A name: each of its addresses in turn, as Socket.ConnectAsync(host, port) tries them.
            var addresses = await Dns.GetHostAddressesAsync(target.AppHost, timeout.Token).ConfigureAwait(false);
            SocketException? last = null;
            foreach (var address in addresses)
            {
                try { return await ConnectToAppAsync(new IPEndPoint(address, target.AppPort), timeout.Token).ConfigureAwait(false); }
                catch (SocketException e) { last = e; }
            }
            throw last ?? new SocketException((int)SocketError.HostNotFound);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SocketException((int)SocketError.TimedOut);
        }
    }

    // A dual-mode socket, for IPv4 and IPv6 apps alike.
    private static ValueTask<Stream> ConnectToAppAsync(IPEndPoint app, CancellationToken cancellationToken)
        => LoopStream.ConnectAsync(new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true }, app, cancellationToken);
}
