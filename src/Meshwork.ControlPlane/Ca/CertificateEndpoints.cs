using System.Text.Json;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Hosting;
using Meshwork.ControlPlane.Push;
using Meshwork.Identity;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.ControlPlaneApi;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Ca;

/// <summary>
/// POST /meshwork/v1/certificates: authenticate the caller (bootstrap token or mesh client
/// certificate), rate-limit per identity, and sign the CSR for exactly that identity: the CSR
/// cannot ask for anything else. POST /meshwork/v1/bootstrap-tokens (admin): a token for ns/sa.
/// </summary>
public sealed partial class CertificateEndpoints(
    CertificateAuthority.CertificateAuthority ca,
    BootstrapTokenAuthority tokens,
    MeshCallerAuthenticator authenticator,
    CertificateRateLimiter limiter,
    PushOptions options,
    IssuedCertificates issued,
    ILogger<CertificateEndpoints> logger)
{
    public async Task<IResult> IssueAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var bearer = MeshCallerAuthenticator.BearerToken(context.Request);
        var caller = bearer is not null
            ? authenticator.FromBootstrapToken(bearer)
            : await authenticator.FromClientCertificateAsync(context).ConfigureAwait(false);
        if (caller.Identity is not SpiffeId identity)
        {
            LogRefused(caller.How, caller.Failure ?? "unknown");
            return CaErrorStatus.ToResult(CaErrorKind.NotAuthenticated, $"{caller.How}: {caller.Failure}");
        }
        if (!limiter.Limiter.TryAcquire(identity.Uri))
        {
            LogRateLimited(identity.Uri);
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(options.CertificateRefillInterval.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "TooManyRequests",
                detail: $"{identity.Uri} asked for certificates too often; retry later");
        }

        var (request, tooLarge) = await BoundedJsonBody.ReadAsync(context, ProtocolJson.Default.CertificateRequest, BoundedJsonBody.SmallMessageBytes).ConfigureAwait(false);
        if (tooLarge)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "PayloadTooLarge", detail: $"a certificate request is at most {BoundedJsonBody.SmallMessageBytes} bytes");
        }
        if (request is null || string.IsNullOrWhiteSpace(request.Csr))
        {
            return CaErrorStatus.ToResult(CaErrorKind.BadCsr, "the body must be JSON {\"csr\": \"<PEM PKCS#10>\", \"validitySeconds\": N}");
        }
        if (request.ValiditySeconds < 0)
        {
            return CaErrorStatus.ToResult(CaErrorKind.TtlTooLong, "validitySeconds must be 0 (the default) or positive");
        }

        // A bootstrap token buys one certificate: redeemed (and recorded) just before the signature, so a
        // request refused earlier (rate limit, unreadable body) leaves the token usable.
        if (bearer is not null && await RedeemAsync(bearer, context.RequestAborted).ConfigureAwait(false) is { } refused)
        {
            LogRefused(MeshCallerAuthenticator.ByToken, refused.Message);
            return CaErrorStatus.ToResult(refused.Kind, $"{MeshCallerAuthenticator.ByToken}: {refused.Message}");
        }

        try
        {
            var ttl = request.ValiditySeconds > 0 ? TimeSpan.FromSeconds(request.ValiditySeconds) : (TimeSpan?)null;
            var chain = ca.Sign(request.Csr, identity, ttl);
            issued.Record(identity.Uri, chain[0]);
            LogIssued(identity.Uri, caller.How);
            return Results.Json(new CertificateResponse { CertChain = chain, TrustBundle = ca.TrustBundle.ToPem() }, ProtocolJson.Default.CertificateResponse);
        }
        catch (CaException e)
        {
            LogSignRefused(identity.Uri, e.Kind, e.Message);
            return CaErrorStatus.ToResult(e.Kind, e.Message);
        }
    }

    public async Task<IResult> IssueBootstrapTokenAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (AdminGate.Refuse(context) is { } refused) return refused;
        var (request, tooLarge) = await BoundedJsonBody.ReadAsync(context, ProtocolJson.Default.BootstrapTokenRequest, BoundedJsonBody.SmallMessageBytes).ConfigureAwait(false);
        if (tooLarge)
        {
            return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "PayloadTooLarge", detail: $"a token request is at most {BoundedJsonBody.SmallMessageBytes} bytes");
        }
        if (request is null || string.IsNullOrWhiteSpace(request.Namespace) || string.IsNullOrWhiteSpace(request.ServiceAccount))
        {
            return Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "BadRequest",
                detail: "the body must be JSON {\"namespace\": \"ns\", \"serviceAccount\": \"sa\"}");
        }
        var lifetime = request.ValiditySeconds > 0 ? TimeSpan.FromSeconds(request.ValiditySeconds) : options.BootstrapTokenLifetime;
        var (token, expiresAt) = tokens.Issue(request.Namespace, request.ServiceAccount, lifetime);
        return Results.Json(new BootstrapTokenResponse { Token = token, ExpiresAt = expiresAt }, ProtocolJson.Default.BootstrapTokenResponse);
    }

    /// <summary>
    /// Marks the token used in the store (every replica's); null when that worked, else why not: already used (here
    /// or on another replica), expired meanwhile, or the store could not record it (then nothing is signed).
    /// </summary>
    private async Task<CaException?> RedeemAsync(string token, CancellationToken cancellationToken)
    {
        try
        {
            await tokens.RedeemAsync(token, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (CaException e) when (e.Kind is CaErrorKind.NotAuthenticated or CaErrorKind.CaNotReady)
        {
            return e;
        }
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "Issued a certificate for {Identity} (authenticated by {How})")]
    private partial void LogIssued(string identity, string how);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Refused a certificate request: {How}: {Why}")]
    private partial void LogRefused(string how, string why);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Rate-limited certificate requests of {Identity}")]
    private partial void LogRateLimited(string identity);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "The CA refused to sign for {Identity}: {Kind}: {Why}")]
    private partial void LogSignRefused(string identity, CaErrorKind kind, string why);
}

/// <summary>The certificate endpoint's per-identity limiter, as one DI singleton.</summary>
public sealed class CertificateRateLimiter(PushOptions options, TimeProvider time)
{
    public TokenBucketLimiter Limiter { get; } = new(options.CertificateBurst, options.CertificateRefillInterval, time);
}
