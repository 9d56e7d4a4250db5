using System.Net.Sockets;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Admin;

/// <summary>
/// Serves an admin listener (the pod's own :15000, or the read-only metrics listener) with the proxy's strict HTTP/1.1
/// codec, the one every data-path request is parsed with: requests kept alive one at a time, a connection idle past
/// <see cref="ConnectionLimits.IdleTimeout"/> closed, a head not complete <see cref="ConnectionLimits.RequestHeadersTimeout"/>
/// after its first byte answered 408. No admin endpoint reads a body: one of up to <see cref="MaxBody"/> bytes, arriving
/// within the same timeout, is read and dropped, a larger one refused with 413 and the connection closed.
/// </summary>
internal sealed class AdminServer(Func<AdminRequest, AdminResponse> handle, ConnectionLimits limits)
{
    public const long MaxBody = 64 * 1024;

    public async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        using var input = new HttpInput(stream, RelaySide.Downstream);
        using var output = new HttpOutput(stream, RelaySide.Downstream);
        using var dropped = new HttpOutput(Stream.Null, RelaySide.Upstream, HttpOutput.HeadBufferSize);
        using var idle = new DownstreamIdleTimer(limits.IdleTimeout, stopping);
        try
        {
            // One head clock per connection, as the data path's (no timer re-arm per request).
            using var headClock = new LazyTimeout(limits.RequestHeadersTimeout, stopping);
            while (await idle.WaitForRequestAsync(input).ConfigureAwait(false))
            {
                int length;
                headClock.Start();
                try { length = await input.ReadHeadAsync(headClock.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) when (headClock.Expired)
                {
                    await Http1Relay.WriteLocalResponseAsync(output, 408, "request headers timeout", close: true, CancellationToken.None).ConfigureAwait(false);
                    return;
                }
                headClock.Stop();
                if (length == 0) return;
                if (!await AnswerAsync(input, output, dropped, length).ConfigureAwait(false)) return;
            }
        }
        catch (HttpWireException e)
        {
            await Http1Relay.RefuseAsync(output, e, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        catch (Exception e) when (e is RelayException or OperationCanceledException) { return; }
        try { socket.Shutdown(SocketShutdown.Send); }
        catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
    }

    /// <summary>Answers the request whose head is buffered; false when the connection closes after it.</summary>
    private async ValueTask<bool> AnswerAsync(HttpInput input, HttpOutput output, HttpOutput dropped, int length)
    {
        var head = HttpHead.ParseRequest(input.Span[..length]);
        var method = MethodNames.Of(head.First);
        var close = head.ConnectionClose || (head.Http10 && !head.KeepAlive);
        var framing = head.Framing;
        var bodyLength = head.ContentLength;
        var parsed = AdminRequest.TryParse(method, head.Second, out var request);
        input.Consume(length);
        if (framing == BodyFraming.Chunked || (framing == BodyFraming.ContentLength && bodyLength > MaxBody))
        {
            await Http1Relay.WriteLocalResponseAsync(output, 413, "admin requests carry no body", close: true, CancellationToken.None).ConfigureAwait(false);
            return false;
        }
        if (framing == BodyFraming.ContentLength)
        {
            // The body is bounded in time as the head is: a trickled body would otherwise hold the connection
            // for the whole idle timeout (the metrics listener is reachable from the pod network).
            using var bodyClock = new CancellationTokenSource(limits.RequestHeadersTimeout);
            await input.CopyExactAsync(bodyLength, dropped, bodyClock.Token).ConfigureAwait(false);
            dropped.Discard();
        }
        var response = parsed ? handle(request) : AdminResponse.Text(400, "admin requests take an origin-form target (/path?query)\n");
        await Http1Relay.WriteLocalResponseAsync(output, response.Status, response.Body, close || !parsed, CancellationToken.None,
            response.ContentType, headOnly: method == "HEAD").ConfigureAwait(false);
        return !close && parsed;
    }
}
