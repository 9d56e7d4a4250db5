using System.Security.Cryptography;
using System.Text;
using Meshwork.Api;
using Meshwork.ControlPlane.Ca;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// Admin-only endpoints of the proxy side (bootstrap tokens, the proxy list) accept the admin
/// bearer token the control plane wrote to the state directory at its first start.
/// </summary>
internal static class AdminGate
{
    public static IResult? Refuse(HttpContext context)
    {
        var presented = MeshCallerAuthenticator.BearerToken(context.Request);
        if (presented is null)
        {
            return Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Unauthorized",
                detail: "this endpoint needs the admin token (Authorization: Bearer <state-dir>/admin-token)");
        }
        var state = context.RequestServices.GetRequiredService<StateDirectory>();
        string expected;
        try
        {
            expected = File.ReadAllText(state.AdminTokenFile).Trim();
        }
        catch (IOException)
        {
            expected = "";
        }
        var ok = expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
        return ok ? null : Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Forbidden", detail: "the bearer token is not the admin token of this control plane");
    }
}
