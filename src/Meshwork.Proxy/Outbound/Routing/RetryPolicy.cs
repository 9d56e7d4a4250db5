using System.Buffers.Text;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>Envoy's retry_on conditions (config.route.v3.RetryPolicy), as flags.</summary>
[Flags]
internal enum RetryConditions
{
    None = 0,
    Http5xx = 1 << 0,
    GatewayError = 1 << 1,
    Reset = 1 << 2,
    ConnectFailure = 1 << 3,
    Retriable4xx = 1 << 4,
    RefusedStream = 1 << 5,
    RetriableStatusCodes = 1 << 6,
    Cancelled = 1 << 7,
    DeadlineExceeded = 1 << 8,
    Internal = 1 << 9,
    ResourceExhausted = 1 << 10,
    Unavailable = 1 << 11,
}

/// <summary>How an attempt failed without an answer, as a retry policy judges it.</summary>
internal enum AttemptFailure
{
    /// <summary>No connection could be made (refused, unreachable, timed out): nothing was sent.</summary>
    ConnectFailure,
    /// <summary>The upstream closed or reset the connection before a response head.</summary>
    Reset,
    /// <summary>The attempt's own deadline (perTryTimeout) passed before a response head.</summary>
    PerTryTimeout,
}

/// <summary>
/// One route's retry policy, compiled from <see cref="RouteRetry"/>: how many attempts a request gets, how long each
/// may take, and which outcomes send it again. The decisions are Envoy's (source/common/router/retry_state_impl.cc):
/// 5xx and gateway-error count a reset (and so a connect failure or a per-try timeout) as a 5xx; connect-failure
/// covers only connections that were never made; reset any failure before a response head; status conditions
/// judge the final response head, gRPC ones its grpc-status.
/// </summary>
internal sealed class RetryPolicy
{
    private readonly RetryConditions _on;
    private readonly int[] _statusCodes;

    /// <summary>Istio's default, for routes without <c>retries</c> and for requests no VirtualService routes.</summary>
    public static RetryPolicy Default { get; } = new(RouteRetry.IstioDefault);

    /// <summary>
    /// The plain network's (pods without a sidecar): it plays kube-proxy, which never resends a request that got an
    /// answer; a connection no endpoint took is tried on another, as before.
    /// </summary>
    public static RetryPolicy PlainNetwork { get; } = new(new RouteRetry { Attempts = 2, On = ["connect-failure"] });

    /// <summary>Attempts in all, the first included (retries + 1).</summary>
    public int Attempts { get; }

    /// <summary>Each attempt's deadline, or null (the route's timeout alone bounds the request).</summary>
    public TimeSpan? PerTryTimeout { get; }

    public RetryPolicy(RouteRetry retry)
    {
        Attempts = Math.Max(0, retry.Attempts) + 1;
        PerTryTimeout = retry.PerTryTimeoutMs is int ms and > 0 ? TimeSpan.FromMilliseconds(ms) : null;
        foreach (var name in retry.On.IsDefault ? [] : retry.On) _on |= Parse(name);
        _statusCodes = retry.StatusCodes.IsDefault ? [] : [.. retry.StatusCodes];
    }

    /// <summary>The policy of <paramref name="route"/>, or Istio's default for a request no route chose.</summary>
    public static RetryPolicy For(CompiledRoute? route) => route?.Retry ?? Default;

    /// <summary>True when attempt number <paramref name="attempt"/> (1-based) may be followed by another.</summary>
    public bool HasAttemptAfter(int attempt) => attempt < Attempts;

    /// <summary>Whether a failure without an answer is retried.</summary>
    public bool Retries(AttemptFailure failure) => failure switch
    {
        AttemptFailure.ConnectFailure => (_on & (RetryConditions.ConnectFailure | RetryConditions.Reset | RetryConditions.Http5xx | RetryConditions.GatewayError)) != 0,
        _ => (_on & (RetryConditions.Reset | RetryConditions.Http5xx | RetryConditions.GatewayError)) != 0,
    };

    /// <summary>Whether a final answer is retried: its status, or the grpc-status field of its head (empty when it has none).</summary>
    public bool RetriesAnswer(int status, ReadOnlySpan<byte> grpcStatus) =>
        RetriesAnswer(status, !grpcStatus.IsEmpty && Utf8Parser.TryParse(grpcStatus, out int code, out var consumed) && consumed == grpcStatus.Length ? code : -1);

    /// <summary>Whether a final answer is retried: its status, or its gRPC status (-1 when it has none).</summary>
    public bool RetriesAnswer(int status, int grpcStatus)
    {
        if ((_on & RetryConditions.Http5xx) != 0 && status is >= 500 and <= 599) return true;
        if ((_on & RetryConditions.GatewayError) != 0 && status is 502 or 503 or 504) return true;
        if ((_on & RetryConditions.Retriable4xx) != 0 && status == 409) return true;
        if ((_on & RetryConditions.RetriableStatusCodes) != 0 && Array.IndexOf(_statusCodes, status) >= 0) return true;
        return grpcStatus >= 0 && RetriesGrpc(grpcStatus);
    }

    /// <summary>gRPC status codes (grpc/doc/statuscodes.md): CANCELLED 1, DEADLINE_EXCEEDED 4, RESOURCE_EXHAUSTED 8, INTERNAL 13, UNAVAILABLE 14.</summary>
    private bool RetriesGrpc(int code) => code switch
    {
        1 => (_on & RetryConditions.Cancelled) != 0,
        4 => (_on & RetryConditions.DeadlineExceeded) != 0,
        8 => (_on & RetryConditions.ResourceExhausted) != 0,
        13 => (_on & RetryConditions.Internal) != 0,
        14 => (_on & RetryConditions.Unavailable) != 0,
        _ => false,
    };

    /// <summary>A condition the control plane sent; unknown names (a newer control plane) add nothing, failing towards fewer retries.</summary>
    private static RetryConditions Parse(string name) => name switch
    {
        "5xx" => RetryConditions.Http5xx,
        "gateway-error" => RetryConditions.GatewayError,
        "reset" => RetryConditions.Reset,
        "connect-failure" => RetryConditions.ConnectFailure,
        "retriable-4xx" => RetryConditions.Retriable4xx,
        "refused-stream" => RetryConditions.RefusedStream,
        "retriable-status-codes" => RetryConditions.RetriableStatusCodes,
        "cancelled" => RetryConditions.Cancelled,
        "deadline-exceeded" => RetryConditions.DeadlineExceeded,
        "internal" => RetryConditions.Internal,
        "resource-exhausted" => RetryConditions.ResourceExhausted,
        "unavailable" => RetryConditions.Unavailable,
        _ => RetryConditions.None,
    };
}
