using Meshwork.ControlPlane.Ca;
using Meshwork.ControlPlane.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// Admin-only endpoints of the proxy side (bootstrap tokens, the proxy list) accept what the
/// host's <see cref="IAdminAuthenticator"/> accepts: the admin bearer token of the state directory.
/// </summary>
internal static class AdminGate
{
    public static IResult? Refuse(HttpContext context) => Refuse(context, discoveryReaders: false);

    /// <summary>Prometheus's target list: the admin token, or the read-only discovery token that opens nothing else.</summary>
    public static IResult? RefuseUnlessDiscoveryReader(HttpContext context) => Refuse(context, discoveryReaders: true);

    private static IResult? Refuse(HttpContext context, bool discoveryReaders)
    {
        if (MeshCallerAuthenticator.BearerToken(context.Request) is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "this endpoint needs the admin token (Authorization: Bearer <state-dir>/admin-token)");
        }
        var authenticator = context.RequestServices.GetRequiredService<IAdminAuthenticator>();
        return authenticator.IsAdmin(context) || (discoveryReaders && authenticator.IsDiscoveryReader(context))
            ? null
            : Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "the bearer token is not the admin token of this control plane");
    }
}
