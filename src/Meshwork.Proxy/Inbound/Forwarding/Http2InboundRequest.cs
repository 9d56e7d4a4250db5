using Meshwork.Proxy.Inbound.Gate;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Proxy.Inbound.Forwarding;

/// <summary>An HTTP/2 request (Kestrel's) as the request gate reads it: :authority and the target as sent.</summary>
internal sealed class Http2InboundRequest(HttpContext context) : IInboundRequest
{
    public string Method => context.Request.Method;

    public string? Host => context.Request.Host.HasValue ? context.Request.Host.Value : null;

    public string Target => context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";

    public string? Header(string name) => context.Request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : null;
}
