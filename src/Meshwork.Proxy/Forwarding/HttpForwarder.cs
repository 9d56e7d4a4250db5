using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Meshwork.Proxy.Forwarding;

/// <summary>
/// The end of one forwarded request: the status the client saw, or the stage that failed; <paramref name="ResponseBodyBytes"/>
/// is the response body relayed to the client (istio_response_bytes).
/// </summary>
internal readonly record struct ForwardOutcome(int StatusCode, UpstreamException? Error, bool ResponseStarted, long ResponseBodyBytes = 0);

/// <summary>
/// Streams one HTTP request to an upstream and its response back, in both directions without
/// buffering whole bodies. Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
/// </summary>
internal static class HttpForwarder
{
    private const int CopyBufferSize = 64 * 1024;

    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate", "Proxy-Authorization",
        "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host", "Content-Length",
    };

    /// <summary>A client for one upstream set: no proxy, no redirects, no decompression, no cookies.</summary>
    public static HttpMessageInvoker CreateInvoker(Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>>? connect, TimeSpan connectTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ConnectTimeout = connectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            ActivityHeadersPropagator = null,
            MaxConnectionsPerServer = int.MaxValue,
        };
        if (connect is not null) handler.ConnectCallback = connect;
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }

    /// <summary>Builds the upstream request: method, target, headers (minus hop-by-hop), streamed body.</summary>
    public static HttpRequestMessage CreateRequest(HttpContext context, Uri target, Func<string, bool>? dropHeader)
    {
        var request = context.Request;
        var message = new HttpRequestMessage(HttpMethod.Parse(request.Method), target)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        var hasBody = context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? (request.ContentLength > 0);
        if (hasBody)
        {
            message.Content = new CountedBodyContent(request.Body, CopyBufferSize);
            if (request.ContentLength is { } length) message.Content.Headers.ContentLength = length;
        }
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name) || name.StartsWith(':')) continue;
            if (dropHeader is not null && dropHeader(name)) continue;
            if (string.Equals(name, "TE", StringComparison.OrdinalIgnoreCase)) continue;
            if (!message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && message.Content is not null)
                message.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        message.Headers.Host = request.Host.HasValue ? request.Host.Value : null;
        return message;
    }

    /// <summary>The request body bytes sent upstream so far for a message built by <see cref="CreateRequest"/>.</summary>
    public static long RequestBodyBytes(HttpRequestMessage message) => (message.Content as CountedBodyContent)?.Relayed ?? 0;

    /// <summary>Sends and streams the response back. Never throws for upstream or client failures; the outcome says what happened.</summary>
    public static async Task<ForwardOutcome> ForwardAsync(HttpContext context, HttpMessageInvoker invoker, HttpRequestMessage message, Func<HttpResponseMessage, HttpResponse, bool>? onResponse = null)
    {
        HttpResponseMessage response;
        try
        {
            response = await invoker.SendAsync(message, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            if (context.RequestAborted.IsCancellationRequested)
                return new(499, new UpstreamException(UpstreamStage.Downstream, "the client went away", e), false);
            return new(503, Classify(e), false);
        }

        using (response)
        {
            var outbound = context.Response;
            outbound.StatusCode = (int)response.StatusCode;
            CopyHeaders(response.Headers, outbound.Headers);
            CopyHeaders(response.Content.Headers, outbound.Headers);
            if (response.Content.Headers.ContentLength is { } length) outbound.ContentLength = length;
            onResponse?.Invoke(response, outbound);

            Stream body;
            try
            {
                body = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                return new((int)response.StatusCode, new UpstreamException(UpstreamStage.ResponseBody, e.Message, e), false);
            }

            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
            long relayed = 0;
            try
            {
                await outbound.StartAsync(context.RequestAborted).ConfigureAwait(false);
                while (true)
                {
                    int read;
                    try
                    {
                        read = await body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException)
                    {
                        if (context.RequestAborted.IsCancellationRequested)
                            return new((int)response.StatusCode, new UpstreamException(UpstreamStage.Downstream, "the client went away", e), true, relayed);
                        return new((int)response.StatusCode, new UpstreamException(UpstreamStage.ResponseBody, $"the upstream failed while sending the response body: {e.Message}", e), true, relayed);
                    }
                    if (read == 0) break;
                    await outbound.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted).ConfigureAwait(false);
                    relayed += read;
                }
                if (response.TrailingHeaders.Any() && context.Features.Get<IHttpResponseTrailersFeature>() is { } trailers)
                    CopyHeaders(response.TrailingHeaders, trailers.Trailers);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or InvalidOperationException)
            {
                return new((int)response.StatusCode, new UpstreamException(UpstreamStage.Downstream, "the client went away", e), true, relayed);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
                await body.DisposeAsync().ConfigureAwait(false);
            }
            return new((int)response.StatusCode, null, true, relayed);
        }
    }

    private static void CopyHeaders(HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var (name, values) in from.NonValidated)
        {
            if (HopByHop.Contains(name)) continue;
            if (values.Count == 1)
            {
                foreach (var v in values) to[name] = v;
            }
            else
            {
                var list = new string[values.Count];
                var i = 0;
                foreach (var v in values) list[i++] = v;
                to[name] = new StringValues(list);
            }
        }
    }

    /// <summary>Turns a client-side failure into a stage and a reason.</summary>
    public static UpstreamException Classify(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (inner is UpstreamException upstream) return upstream;
        if (e is OperationCanceledException) return new UpstreamException(UpstreamStage.Timeout, "the upstream did not answer in time", e);
        return IsReset(e)
            ? new UpstreamException(UpstreamStage.ResponseHeaders, "upstream connect error or disconnect/reset before headers. reset reason: connection termination", e)
            : new UpstreamException(UpstreamStage.ResponseHeaders, $"upstream connect error or disconnect/reset before headers: {e.Message}", e);
    }

    /// <summary>True when the upstream reset or closed the connection (as opposed to refusing it).</summary>
    public static bool IsReset(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is SocketException { SocketErrorCode: SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown }) return true;
            if (inner is HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded }) return true;
            if (inner is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }) return true;
        }
        return false;
    }
}
