using System.Collections.Immutable;
using System.Globalization;

namespace Meshwork.Model.Resources;

/// <summary>
/// The grammar of HTTPRetry.retryOn: a comma-separated list of Envoy's retry conditions
/// (envoy <c>config.route.v3.RetryPolicy.retry_on</c>) and HTTP status codes, the codes making
/// <c>retriable-status-codes</c> apply to them, as Istio's route conversion splits them.
/// </summary>
public static class RetryOnConditions
{
    /// <summary>Istio's default policy when a route names none: its retry_on, with 503 as the retriable status code.</summary>
    public const string IstioDefault = "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes";

    /// <summary>The status code Istio's default policy retries (retriable-status-codes).</summary>
    public const int IstioDefaultStatusCode = 503;

    /// <summary>The conditions Meshwork's proxies act on: Envoy's HTTP ones, and its gRPC ones judged on the grpc-status of a response.</summary>
    public static ImmutableArray<string> Supported { get; } =
    [
        "5xx", "gateway-error", "reset", "connect-failure", "retriable-4xx", "refused-stream", "retriable-status-codes",
        "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
    ];

    /// <summary>Envoy conditions Istio accepts that Meshwork does not act on: named in the error, never ignored.</summary>
    public static ImmutableArray<string> NotSupported { get; } = ["retriable-headers", "envoy-ratelimited", "http3-post-connect-failure", "reset-before-request"];

    /// <summary>
    /// Splits <paramref name="retryOn"/> into conditions and status codes; <paramref name="error"/> names the first
    /// entry that is neither a supported condition nor a status code from 100 to 599.
    /// </summary>
    public static bool TryParse(string retryOn, out ImmutableArray<string> conditions, out ImmutableArray<int> statusCodes, out string? error)
    {
        var names = ImmutableArray.CreateBuilder<string>();
        var codes = ImmutableArray.CreateBuilder<int>();
        error = null;
        foreach (var raw in retryOn.Split(','))
        {
            var entry = raw.Trim();
            if (int.TryParse(entry, NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            {
                if (code is < 100 or > 599) { error = $"\"{entry}\" is not an HTTP status code"; break; }
                if (!codes.Contains(code)) codes.Add(code);
            }
            else if (Supported.Contains(entry))
            {
                if (!names.Contains(entry)) names.Add(entry);
            }
            else
            {
                error = NotSupported.Contains(entry)
                    ? $"retry condition \"{entry}\" is not supported by Meshwork"
                    : $"unknown retry condition \"{entry}\"";
                break;
            }
        }
        // Istio adds retriable-status-codes when codes are listed, so that they take effect.
        if (error is null && codes.Count > 0 && !names.Contains("retriable-status-codes")) names.Add("retriable-status-codes");
        conditions = names.ToImmutable();
        statusCodes = codes.ToImmutable();
        return error is null;
    }
}
