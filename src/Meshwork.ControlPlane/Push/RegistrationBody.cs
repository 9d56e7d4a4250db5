using System.Text.Json;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// Reads a <see cref="ProxyRegistration"/> of at most <see cref="ProxyRegistration.MaxBytes"/>: a declared length over
/// the bound is refused before a byte is read, and an undeclared one is cut off by the server's body limit, lowered
/// to the bound for this request (a thousand proxies reconnect at once; each may hold only so much of the heap).
/// </summary>
internal static class RegistrationBody
{
    /// <summary>The registration; null when the body is not one; <c>TooLarge</c> when it is over the bound.</summary>
    public static async Task<(ProxyRegistration? Registration, bool TooLarge)> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > ProxyRegistration.MaxBytes) return (null, true);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is not { IsReadOnly: false } limit) return (null, true);
        limit.MaxRequestBodySize = ProxyRegistration.MaxBytes;
        try
        {
            return (await JsonSerializer.DeserializeAsync(context.Request.Body, ProtocolJson.Default.ProxyRegistration, context.RequestAborted).ConfigureAwait(false), false);
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
