using System.Collections.Frozen;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Observability;
using Meshwork.ControlPlane.Push;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Meshwork.ControlPlane.Dashboard;

/// <summary>
/// The traffic graph page under /dashboard/: no anonymous access. The admin asks for a one-time
/// login link (<c>meshwork dashboard</c>); opening it sets a session cookie (HttpOnly, Secure,
/// SameSite=Strict) and every page, asset and API call checks it. Assets are embedded in this
/// assembly: the page needs no network beyond this control plane.
/// </summary>
public static class DashboardEndpoints
{
    public const string Root = "/dashboard/";
    public const string LoginPath = "/dashboard/login";
    public const string CookieName = "meshwork-dashboard";

    private static readonly FrozenDictionary<string, string> AssetTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["graph.js"] = "text/javascript; charset=utf-8",
        ["details.js"] = "text/javascript; charset=utf-8",
        ["layout.js"] = "text/javascript; charset=utf-8",
        ["edge-layer.js"] = "text/javascript; charset=utf-8",
        ["graph-request.js"] = "text/javascript; charset=utf-8",
        ["edge-table.js"] = "text/javascript; charset=utf-8",
        ["dashboard.css"] = "text/css; charset=utf-8",
        ["cytoscape.min.js"] = "text/javascript; charset=utf-8",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Each asset read once from the assembly, with an entity tag of its content (they change only with the build).</summary>
    private static readonly Lazy<FrozenDictionary<string, DashboardAsset>> Assets = new(() => AssetTypes
        .Select(kv => DashboardAsset.Load(typeof(DashboardEndpoints).Assembly, kv.Key, kv.Value))
        .Where(a => a is not null)
        .ToFrozenDictionary(a => a!.Name, a => a!, StringComparer.Ordinal));

    public static IServiceCollection Add(IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<DashboardSessions>();
        return services;
    }

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapPost(DashboardLogin.Path, (HttpContext c, DashboardSessions sessions, TimeProvider time) =>
            AdminGate.Refuse(c) ?? Results.Json(
                new DashboardLogin($"{LoginPath}?code={sessions.IssueCode()}", time.GetUtcNow() + DashboardSessions.CodeLifetime),
                DashboardJson.Default.DashboardLogin));
        app.MapGet(LoginPath, (HttpContext c, DashboardSessions sessions) =>
        {
            if (sessions.Redeem(c.Request.Query["code"].ToString()) is not { } session)
            {
                return Results.Text("This login link was used already or has expired: run `meshwork dashboard` for a new one.\n",
                    "text/plain", statusCode: StatusCodes.Status401Unauthorized);
            }
            c.Response.Cookies.Append(CookieName, session, new CookieOptions
            {
                HttpOnly = true,
                Secure = true,
                SameSite = SameSiteMode.Strict,
                Path = Root,
                MaxAge = DashboardSessions.SessionLifetime,
            });
            return Results.Redirect(Root);
        });
        app.MapGet(Root, (HttpContext c, DashboardSessions sessions) => Refuse(c, sessions) ?? Asset(c, "index.html"));
        app.MapGet($"{Root}assets/{{name}}", (HttpContext c, DashboardSessions sessions, string name) => Refuse(c, sessions) ?? Asset(c, name));
        app.MapGet($"{Root}api/graph", async (HttpContext c, DashboardSessions sessions, TrafficRing ring, PrometheusQuery prometheus,
            Registry.ProxyRegistry registry, TimeProvider time) =>
            Refuse(c, sessions) ?? await ObservabilityServices.GraphAsync(c, ring, prometheus, registry, time).ConfigureAwait(false));
        app.MapGet($"{Root}api/workload", (HttpContext c, DashboardSessions sessions, IMeshStateSource mesh, Ca.IssuedCertificates issued) =>
            Refuse(c, sessions) ?? Workload(c, mesh, issued));
        return app;
    }

    /// <summary>?namespace=&amp;name= → the workload's <see cref="WorkloadView"/>, or 404.</summary>
    private static IResult Workload(HttpContext context, IMeshStateSource mesh, Ca.IssuedCertificates issued)
    {
        var ns = context.Request.Query["namespace"].ToString();
        var name = context.Request.Query["name"].ToString();
        return WorkloadView.Of(mesh.Current, issued, ns, name) is { } view
            ? Results.Json(view, DashboardJson.Default.WorkloadView)
            : Results.NotFound();
    }

    private static IResult? Refuse(HttpContext context, DashboardSessions sessions) =>
        sessions.IsValidSession(context.Request.Cookies[CookieName])
            ? null
            : Results.Text("Not logged in: run `meshwork dashboard` and open the link it prints.\n", "text/plain", statusCode: StatusCodes.Status401Unauthorized);

    private static IResult Asset(HttpContext context, string name)
    {
        if (!Assets.Value.TryGetValue(name, out var asset)) return Results.NotFound();
        var headers = context.Response.Headers;
        // Only this origin's scripts and styles; the page is never framed.
        headers.ContentSecurityPolicy = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        headers.XFrameOptions = "DENY";
        headers.XContentTypeOptions = "nosniff";
        // Kept by the browser only (private: behind a session), and asked for again on every use (no-cache), so a
        // visit after the first costs a 304 per asset instead of Cytoscape's 435 KB, and a new build is seen at once.
        headers.CacheControl = "private, no-cache";
        // ASP.NET Core's file result sets the ETag and answers a matching If-None-Match with 304 (RFC 9110 §13.1.2).
        return Results.Bytes(asset.Content, asset.ContentType, entityTag: asset.ETag);
    }
}
