using Meshwork.Proxy.Admin;
using Meshwork.Proxy.Inbound;
using Meshwork.Proxy.Inbound.Forwarding;
using Meshwork.Proxy.Outbound;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Hosting;

internal enum ListenerKind { Inbound, Outbound, Admin }

/// <summary>Which listener a connection arrived on; set by the first connection middleware.</summary>
internal sealed class ListenerFeature(ListenerKind kind)
{
    public ListenerKind Kind { get; } = kind;
    public static readonly ListenerFeature Outbound = new(ListenerKind.Outbound);
    public static readonly ListenerFeature Admin = new(ListenerKind.Admin);
    public static readonly ListenerFeature Inbound = new(ListenerKind.Inbound);
}

/// <summary>Kestrel's application: dispatches each request by the listener it came in on. No host, no middleware pipeline.</summary>
internal sealed class ProxyHttpApplication(
    InboundHttpHandler inbound, OutboundHttpHandler outbound, AdminHandler admin, ILogger logger) : IHttpApplication<HttpContext>
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
                case ListenerKind.Outbound:
                    await outbound.HandleAsync(context).ConfigureAwait(false);
                    break;
                case ListenerKind.Admin:
                    await admin.HandleAsync(context).ConfigureAwait(false);
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
