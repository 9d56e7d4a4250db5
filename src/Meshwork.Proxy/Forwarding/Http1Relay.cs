using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text;
using Meshwork.Proxy.Http1;

namespace Meshwork.Proxy.Forwarding;

/// <summary>A kept-alive upstream HTTP/1.1 connection (plaintext or mTLS) with its buffers.</summary>
internal sealed class UpstreamConnection(Stream stream) : IAsyncDisposable
{
    public Stream Stream { get; } = stream;
    public HttpInput Input { get; } = new(stream, RelaySide.Upstream);
    public HttpOutput Output { get; } = new(stream, RelaySide.Upstream);
    public long IdleSince { get; set; } = Environment.TickCount64;
    /// <summary>True once it carried a request: a close before the next response is then the keep-alive race, safe to retry.</summary>
    public bool Reused { get; set; }

    public async ValueTask DisposeAsync()
    {
        try { await Stream.DisposeAsync().ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
        Input.Dispose();
        Output.Dispose();
    }
}

/// <summary>Idle upstream connections per destination, most recently used first; idle ones expire.</summary>
/// <remarks>Taking and returning a connection allocates nothing once a destination has its stack (a request takes and returns one).</remarks>
internal sealed class UpstreamConnectionPool<TKey>(IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    private static readonly long IdleTimeoutMs = 60_000;
    private readonly ConcurrentDictionary<TKey, IdleStack> _idle = new(comparer);

    public UpstreamConnection? TryTake(TKey key)
    {
        if (!_idle.TryGetValue(key, out var stack)) return null;
        var now = Environment.TickCount64;
        while (stack.TryPop(out var connection))
        {
            if (now - connection.IdleSince < IdleTimeoutMs) return connection;
            _ = connection.DisposeAsync();
        }
        return null;
    }

    public void Return(TKey key, UpstreamConnection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        connection.Reused = true;
        _idle.GetOrAdd(key, static _ => new IdleStack()).Push(connection);
    }

    /// <summary>A stack over an array that grows and is reused (ConcurrentStack allocates a node per push).</summary>
    private sealed class IdleStack
    {
        private readonly Lock _gate = new();
        private UpstreamConnection?[] _items = new UpstreamConnection?[4];
        private int _count;

        public void Push(UpstreamConnection connection)
        {
            lock (_gate)
            {
                if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
                _items[_count++] = connection;
            }
        }

        public bool TryPop([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out UpstreamConnection? connection)
        {
            lock (_gate)
            {
                if (_count == 0) { connection = null; return false; }
                connection = _items[--_count]!;
                _items[_count] = null;
                return true;
            }
        }
    }
}

/// <summary>What one forwarded exchange came to.</summary>
/// <remarks>
/// <paramref name="UpstreamReset"/>: the upstream reset the connection (RST) before any response, as a STRICT port does to plaintext.
/// <paramref name="RequestBodyBytes"/> and <paramref name="ResponseBodyBytes"/>: the body payload relayed each way (chunk framing and
/// headers excluded), what istio_request_bytes and istio_response_bytes measure; a body cut short counts as not relayed.
/// <paramref name="RetriableAnswer"/>: the final response head was one the retry policy sends again; nothing of it reached the client.
/// </remarks>
internal readonly record struct ExchangeResult(int Status, UpstreamStage? FailedStage, string? Error, bool ResponseStarted, bool UpstreamReusable, bool DownstreamMustClose, bool StaleConnection,
    bool UpstreamReset = false, long RequestBodyBytes = 0, long ResponseBodyBytes = 0, bool RetriableAnswer = false);

/// <summary>
/// HTTP/1.1 forwarding without an HTTP object model: the request head is rewritten field by field
/// (hop-by-hop fields out, one field in), bodies are relayed as framed (Content-Length, chunked),
/// and the response head is passed back minus its hop-by-hop fields. A small message leaves in one
/// write each way (one TLS record on an mTLS hop).
/// </summary>
internal static class Http1Relay
{
    /// <summary>Per request, what the head said (kept across awaits; the head bytes are gone by then).</summary>
    internal readonly record struct RequestFrame(BodyFraming Framing, long ContentLength, bool IsHead, bool Close, bool ExpectContinue);

    /// <summary>
    /// Writes the upstream request head into <paramref name="up"/> (not yet sent). <paramref name="extraField"/>
    /// is complete field lines ("name: value\r\n") or empty; <paramref name="dropField"/> a field name and
    /// <paramref name="dropPrefix"/> a field name prefix removed from the request. Without <paramref name="terminate"/>
    /// the head is left open for more fields and the caller ends it with <see cref="EndHead"/>.
    /// </summary>
    public static RequestFrame WriteRequestHead(in HttpHead head, HttpOutput up, ReadOnlySpan<byte> target, ReadOnlySpan<byte> dropField, ReadOnlySpan<byte> extraField,
        ReadOnlySpan<byte> dropPrefix = default, bool terminate = true, byte[][]? dropFields = null)
    {
        up.Append(head.First);
        up.Append(" "u8);
        up.Append(target);
        up.Append(" HTTP/1.1\r\n"u8);
        head.WriteForwardedFields(up, dropField, dropPrefix, dropFields);
        if (!extraField.IsEmpty) up.Append(extraField);
        if (terminate) up.Append("\r\n"u8);
        var close = head.ConnectionClose || (head.Http10 && !head.KeepAlive);
        return new RequestFrame(head.Framing, head.ContentLength, head.First.SequenceEqual("HEAD"u8), close, head.ExpectContinue);
    }

    /// <summary>Ends a head left open by <see cref="WriteRequestHead"/>.</summary>
    public static void EndHead(HttpOutput up) => up.Append("\r\n"u8);

    /// <summary>The origin-form target of an absolute-form one ("http://h:p/x?y" → "/x?y").</summary>
    public static ReadOnlySpan<byte> OriginForm(ReadOnlySpan<byte> target)
    {
        if (target.IsEmpty || target[0] == '/' || target.SequenceEqual("*"u8)) return target;
        var scheme = target.IndexOf("://"u8);
        if (scheme < 0) return target;
        var rest = target[(scheme + 3)..];
        var slash = rest.IndexOfAny((byte)'/', (byte)'?');
        if (slash < 0) return "/"u8;
        return rest[slash] == '?' ? target : rest[slash..];
    }

    /// <summary>
    /// Sends the prepared request head (in <paramref name="up"/>'s output), relays the request body from
    /// <paramref name="downIn"/>, then relays the response back to <paramref name="downOut"/>. Never throws for
    /// network failures: the result says which side failed and at what stage. A final response head that
    /// <paramref name="retry"/> sends again is not relayed (<see cref="ExchangeResult.RetriableAnswer"/>).
    /// </summary>
    /// <remarks>
    /// A request without a body whose head the stream takes at once (nearly every GET) goes straight to the response,
    /// with no async frame of its own: one state machine fewer allocated and resumed per request.
    /// </remarks>
    public static ValueTask<ExchangeResult> ExchangeAsync(HttpInput downIn, HttpOutput downOut, RequestFrame request, UpstreamConnection up, CancellationToken cancellationToken,
        FieldEdits? responseEdits = null, Outbound.Routing.RetryPolicy? retry = null)
    {
        if (request.Framing != BodyFraming.None)
            return SendBodyThenReceiveAsync(downIn, downOut, request, up, cancellationToken, responseEdits, retry);
        var headSent = up.Output.FlushAsync(cancellationToken);
        return headSent.IsCompletedSuccessfully
            ? ReceiveResponseAsync(downOut, request, up, responseEdits, retry, cancellationToken)
            : ReceiveAfterHeadAsync(headSent, downOut, request, up, responseEdits, retry, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<ExchangeResult> ReceiveAfterHeadAsync(ValueTask headSent, HttpOutput downOut, RequestFrame request, UpstreamConnection up,
        FieldEdits? responseEdits, Outbound.Routing.RetryPolicy? retry, CancellationToken cancellationToken)
    {
        try { await headSent.ConfigureAwait(false); }
        catch (Exception e) when (e is RelayException or OperationCanceledException) { return RequestFailed(e, request, up); }
        return await ReceiveResponseAsync(downOut, request, up, responseEdits, retry, cancellationToken).ConfigureAwait(false);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<ExchangeResult> SendBodyThenReceiveAsync(HttpInput downIn, HttpOutput downOut, RequestFrame request, UpstreamConnection up,
        CancellationToken cancellationToken, FieldEdits? responseEdits, Outbound.Routing.RetryPolicy? retry)
    {
        long requestBody;
        try
        {
            if (request.ExpectContinue)
            {
                // Answer the expectation here: the body follows at once, and the upstream never sees Expect.
                downOut.Append("HTTP/1.1 100 Continue\r\n\r\n"u8);
                await downOut.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
            requestBody = await downIn.CopyBodyAsync(request.Framing, request.ContentLength, up.Output, cancellationToken).ConfigureAwait(false);
            await up.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpWireException or RelayException or OperationCanceledException) { return RequestFailed(e, request, up); }
        return await ReceiveResponseAsync(downOut, request, up, responseEdits, retry, cancellationToken).ConfigureAwait(false) with { RequestBodyBytes = requestBody };
    }

    /// <summary>What a failure while sending the request (head or body) comes to.</summary>
    private static ExchangeResult RequestFailed(Exception e, RequestFrame request, UpstreamConnection up)
    {
        var hasBody = request.Framing != BodyFraming.None;
        switch (e)
        {
            case HttpWireException wire:
                // The request body's framing is broken: what was not sent yet never leaves, and the upstream connection is dropped.
                up.Output.Discard();
                return new(400, UpstreamStage.DownstreamProtocolError, $"meshwork: malformed request: {wire.Message}", false, false, true, false);
            case RelayException { Side: RelaySide.Upstream } relay:
                return new(503, UpstreamStage.ResponseHeaders, ResetBeforeHeaders(relay), false, false, hasBody, up.Reused && !hasBody, IsReset(relay));
            default:
                // The client went away (its side failed, or the exchange was cancelled).
                return new(499, UpstreamStage.Downstream, "the client went away", false, false, true, false);
        }
    }

    /// <summary>The response half of <see cref="ExchangeAsync"/>: the head (interim 1xx ones passed on), then the body.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<ExchangeResult> ReceiveResponseAsync(HttpOutput downOut, RequestFrame request, UpstreamConnection up, FieldEdits? responseEdits,
        Outbound.Routing.RetryPolicy? retry, CancellationToken cancellationToken)
    {
        var hasBody = request.Framing != BodyFraming.None;
        var status = 0;
        var started = false;
        long sentBeforeFinalHead = -1;
        try
        {
            BodyFraming framing;
            long length;
            bool upstreamClose;
            while (true)
            {
                var headLength = await up.Input.ReadHeadAsync(cancellationToken).ConfigureAwait(false);
                if (headLength == 0)
                    return new(503, UpstreamStage.ResponseHeaders, "upstream connect error or disconnect/reset before headers. reset reason: connection termination", false, false, hasBody, up.Reused && !hasBody);
                var head = HttpHead.ParseResponse(up.Input.Span[..headLength]);
                status = head.StatusCode;
                if (status is >= 100 and < 200 && status != 101)
                {
                    WriteResponseHead(head, downOut, close: false);
                    up.Input.Consume(headLength);
                    started = true;
                    await downOut.FlushAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }
                if (retry is not null && !started && retry.RetriesAnswer(status, head.Field("grpc-status"u8)))
                {
                    // Sent again: this answer is dropped with its connection (its body is never read).
                    return new(status, null, null, false, false, false, false, RetriableAnswer: true);
                }
                framing = HttpHead.ResponseHasNoBody(request.IsHead ? "HEAD"u8 : default, status) ? BodyFraming.None : head.Framing;
                length = head.ContentLength;
                upstreamClose = head.ConnectionClose || (head.Http10 && !head.KeepAlive) || framing == BodyFraming.UntilClose || status == 101;
                sentBeforeFinalHead = downOut.BytesSent;
                WriteResponseHead(head, downOut, close: request.Close || framing == BodyFraming.UntilClose, responseEdits);
                up.Input.Consume(headLength);
                break;
            }
            started = true;
            var responseBody = await up.Input.CopyBodyAsync(framing, length, downOut, cancellationToken).ConfigureAwait(false);
            await downOut.FlushAsync(cancellationToken).ConfigureAwait(false);
            // Bytes after the response that no request asked for (a body on a HEAD, 204 or 304, say): where the
            // next response starts is no longer known, so the connection is not reused.
            var reusable = !upstreamClose && up.Input.Buffered == 0;
            return new(status, null, null, true, reusable, request.Close || framing == BodyFraming.UntilClose, false, ResponseBodyBytes: responseBody);
        }
        catch (HttpWireException e)
        {
            // A malformed response: the upstream connection is dropped; the client gets a 502 if none of the
            // final response has left yet, else its connection closes.
            var sent = sentBeforeFinalHead >= 0 && downOut.BytesSent != sentBeforeFinalHead;
            if (!sent) downOut.Discard();
            return new(sent ? status : 502, UpstreamStage.UpstreamProtocolError, $"upstream protocol error: {e.Message}", sent, false, sent || request.Close, false);
        }
        catch (RelayException e) when (e.Side == RelaySide.Downstream)
        {
            return new(status == 0 ? 499 : status, UpstreamStage.Downstream, "the client went away", started, false, true, false);
        }
        catch (RelayException e)
        {
            if (!started) return new(503, UpstreamStage.ResponseHeaders, ResetBeforeHeaders(e), false, false, hasBody, false, IsReset(e));
            return new(status, UpstreamStage.ResponseBody, $"the upstream failed while sending the response body: {e.Message}", true, false, true, false);
        }
        catch (OperationCanceledException)
        {
            return new(status == 0 ? 499 : status, UpstreamStage.Downstream, "the client went away", started, false, true, false);
        }
    }

    /// <summary>True when the failure was a TCP reset from the peer (not a clean close or a malformed answer).</summary>
    private static bool IsReset(RelayException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset }) return true;
        return false;
    }

    /// <summary>
    /// A response head as the proxy forwards it: its own version, the parsed status and reason, the forwarded fields,
    /// edited by the route when <paramref name="edits"/> is given (a final response only, as Envoy edits it).
    /// </summary>
    private static void WriteResponseHead(HttpHead head, HttpOutput down, bool close, FieldEdits? edits = null)
    {
        // 1xx and 204 carry no framing field (RFC 9110 §8.6, RFC 9112 §6.1); HEAD and 304 keep theirs, which describe the representation.
        if (head.StatusCode is < 200 or 204)
        {
            head.Framing = BodyFraming.None;
            head.HasContentLength = false;
        }
        down.Append("HTTP/1.1 "u8);
        down.Append(head.First);
        down.Append(" "u8);
        down.Append(head.Second);
        down.Append("\r\n"u8);
        head.WriteForwardedFields(down, default, default, edits?.Dropped);
        if (edits is not null) down.Append(edits.Added);
        if (close) down.Append("Connection: close\r\n"u8);
        down.Append("\r\n"u8);
    }

    private static string ResetBeforeHeaders(RelayException e) =>
        $"upstream connect error or disconnect/reset before headers. reset reason: connection termination ({e.Message})";

    /// <summary>
    /// Answers a request the codec refused with the status it carries (400, 431, 501, 505) and
    /// "connection: close": after a malformed message, where the next one starts is unknown.
    /// </summary>
    public static ValueTask RefuseAsync(HttpOutput down, HttpWireException error, CancellationToken cancellationToken) =>
        WriteLocalResponseAsync(down, error.Status, $"meshwork: malformed request: {error.Message}", close: true, cancellationToken);

    /// <summary>
    /// Writes a complete local response (an error the proxy itself gives, or an admin endpoint's answer: then with its
    /// <paramref name="contentType"/>, and for a HEAD request, <paramref name="headOnly"/>, the head alone, RFC 9110 §9.3.2).
    /// </summary>
    /// <remarks>Written into the output buffer as it goes (no strings or arrays made); a send that fails is ignored.</remarks>
    public static ValueTask WriteLocalResponseAsync(HttpOutput down, int status, string body, bool close, CancellationToken cancellationToken,
        string contentType = "text/plain", bool headOnly = false)
    {
        var newline = !body.EndsWith('\n');
        down.Discard();
        down.Append("HTTP/1.1 "u8);
        down.AppendDecimal(status);
        down.Append(" "u8);
        down.AppendAscii(Reason(status));
        down.Append("\r\ncontent-type: "u8);
        down.AppendAscii(contentType);
        down.Append("\r\ncontent-length: "u8);
        down.AppendDecimal(LocalBodyBytes(body));
        down.Append(close ? "\r\nconnection: close\r\n\r\n"u8 : "\r\n\r\n"u8);
        if (!headOnly)
        {
            down.AppendUtf8(body);
            if (newline) down.Append("\n"u8);
        }
        var flush = down.FlushAsync(cancellationToken);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : IgnoreSendFailureAsync(flush);
    }

    /// <summary>
    /// A 301 to <paramref name="location"/> with an empty body, closing the connection (a request body that may follow
    /// is not read). <paramref name="location"/> is built from a parsed target and host, so it holds no CR or LF.
    /// </summary>
    public static ValueTask WriteRedirectAsync(HttpOutput down, string location, CancellationToken cancellationToken)
    {
        down.Discard();
        down.Append("HTTP/1.1 301 Moved Permanently\r\nlocation: "u8);
        down.AppendAscii(location);
        down.Append("\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"u8);
        var flush = down.FlushAsync(cancellationToken);
        return flush.IsCompletedSuccessfully ? ValueTask.CompletedTask : IgnoreSendFailureAsync(flush);
    }

    /// <summary>The body length of a local response written by <see cref="WriteLocalResponseAsync"/> (a line feed is added when missing).</summary>
    public static int LocalBodyBytes(string body) => Encoding.UTF8.GetByteCount(body) + (body.EndsWith('\n') ? 0 : 1);

    private static async ValueTask IgnoreSendFailureAsync(ValueTask send)
    {
        try { await send.ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        400 => "Bad Request",
        431 => "Request Header Fields Too Large",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        499 => "Client Closed Request",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
}
