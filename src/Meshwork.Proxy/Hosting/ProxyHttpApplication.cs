using Meshwork.Proxy.Inbound;
using Meshwork.Proxy.Inbound.Forwarding;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Hosting;

/// <summary>
/// Kestrel's application, for the requests Kestrel still parses: inbound HTTP/2 (h2 and h2c), on connections the
/// inbound pipeline handed over. No host, no middleware pipeline. Every HTTP/1.1 path, the admin listeners included,
/// runs on the proxy's own codec.
/// </summary>
internal sealed class ProxyHttpApplication(InboundHttpHandler inbound, ILogger logger) : IHttpApplication<HttpContext>
{
    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public async Task ProcessRequestAsync(HttpContext context)
    {
        try
        {
            if (context.Features.Get<InboundConnectionFeature>() is { } connection) await inbound.HandleAsync(context, connection).ConfigureAwait(false);
            else context.Abort();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            ProxyLog.OutboundUnexpected(logger, e);
            if (!context.Response.HasStarted) context.Response.StatusCode = 500;
            else context.Abort();
        }
    }

    public void DisposeContext(HttpContext context, Exception? exception) { }
}
