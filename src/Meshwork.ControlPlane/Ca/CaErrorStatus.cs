using Meshwork.CertificateAuthority;
using Microsoft.AspNetCore.Http;

namespace Meshwork.ControlPlane.Ca;

/// <summary>The one place that says which HTTP status each CA refusal becomes (as Istio's pki/error does for gRPC codes).</summary>
public static class CaErrorStatus
{
    public static int Of(CaErrorKind kind) => kind switch
    {
        CaErrorKind.BadCsr => StatusCodes.Status400BadRequest,
        CaErrorKind.TtlTooLong => StatusCodes.Status400BadRequest,
        CaErrorKind.IdentityNotAllowed => StatusCodes.Status403Forbidden,
        CaErrorKind.NotAuthenticated => StatusCodes.Status401Unauthorized,
        CaErrorKind.CaNotReady => StatusCodes.Status503ServiceUnavailable,
        CaErrorKind.BadCaConfiguration => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>A problem+json response that names the kind, so a proxy can log something actionable.</summary>
    public static IResult ToResult(CaErrorKind kind, string message)
        => Results.Problem(statusCode: Of(kind), title: kind.ToString(), detail: message);
}
