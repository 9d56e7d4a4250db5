using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.ControlPlane.Hosting;

/// <summary>
/// Reads one JSON request body of at most a given size: a declared length over the bound is refused before a byte is
/// read, and an undeclared one is cut off by the server's body limit, lowered to the bound for this request. Every
/// endpoint that takes a JSON message from a proxy or a workload reads it here: a thousand proxies may call at once,
/// and each may hold only so much of the heap, whatever the server-wide limit.
/// </summary>
internal static class BoundedJsonBody
{
    /// <summary>The bound for small messages (an ACK, a CSR, a token request): each is a few hundred bytes to a few KiB.</summary>
    public const int SmallMessageBytes = 64 * 1024;

    /// <summary>The message; null when the body is not one; <c>TooLarge</c> when it is over <paramref name="maxBytes"/>.</summary>
    public static async Task<(T? Value, bool TooLarge)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type, long maxBytes) where T : class
    {
        if (context.Request.ContentLength > maxBytes) return (null, true);
        // A server that cannot lower its limit for this request (one that already read the body) reads nothing.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is not { IsReadOnly: false } limit) return (null, true);
        limit.MaxRequestBodySize = maxBytes;
        try
        {
            return (await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false), false);
        }
        catch (JsonException)
        {
            return (null, false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, true);
        }
    }
}
