using Meshwork.Proxy.Admin;
using Meshwork.Proxy.Inbound;
using Meshwork.Proxy.Inbound.Forwarding;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Hosting;

internal enum ListenerKind { Inbound, Admin, Metrics }

/// <summary>Which listener a connection arrived on; set by the first connection middleware.</summary>
internal sealed class ListenerFeature(ListenerKind kind)
{
    public ListenerKind Kind { get; } = kind;
    public static readonly ListenerFeature Admin = new(ListenerKind.Admin);
    public static readonly ListenerFeature Inbound = new(ListenerKind.Inbound);
    public static readonly ListenerFeature Metrics = new(ListenerKind.Metrics);
}

/// <summary>
/// Kestrel's application, for the requests Kestrel still parses: inbound HTTP/2 (h2 and h2c) and the admin
/// listener. No host, no middleware pipeline. Every HTTP/1.1 data path runs on the proxy's own relay.
/// </summary>
internal sealed class ProxyHttpApplication(
    InboundHttpHandler inbound, AdminHandler admin, ILogger logger) : IHttpApplication<HttpContext>
{
    public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

    public async Task ProcessRequestAsync(HttpContext context)
    {
        try
        {
            switch (context.Features.Get<ListenerFeature>()?.Kind)
            {
                case ListenerKind.Inbound when context.Features.Get<InboundConnectionFeature>() is { } connection:
                    await inbound.HandleAsync(context, connection).ConfigureAwait(false);
                    break;
                case ListenerKind.Admin:
                    await admin.HandleAsync(context).ConfigureAwait(false);
                    break;
                case ListenerKind.Metrics:
                    await admin.HandleMetricsAsync(context).ConfigureAwait(false);
                    break;
                default:
                    context.Abort();
                    break;
            }
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
