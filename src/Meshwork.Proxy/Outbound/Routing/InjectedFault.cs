using System.Diagnostics;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Metrics;

namespace Meshwork.Proxy.Outbound.Routing;

/// <summary>
/// The fault a route's VirtualService injects into one request, drawn once when the route matched: a delay before
/// the request leaves, then possibly an answer instead of forwarding it. Both outbound relays execute it here, before
/// the upstream call (Envoy's fault filter runs ahead of the router, so the route's timeout does not count the delay).
/// </summary>
internal readonly record struct InjectedFault(TimeSpan Delay, int AbortStatus)
{
    /// <summary>Envoy's answer body for an injected abort.</summary>
    public const string AbortBody = "fault filter abort";

    public bool Delays => Delay > TimeSpan.Zero;
    public bool Aborts => AbortStatus != 0;

    /// <summary>Envoy's response flags: DI for an injected delay, FI for an injected abort.</summary>
    public string Flags => (Delays, Aborts) switch
    {
        (true, true) => "DI,FI",
        (true, false) => "DI",
        (false, true) => "FI",
        _ => ResponseFlags.None,
    };

    /// <summary><paramref name="flags"/> of the exchange with the injected delay's flag added.</summary>
    public string WithDelayFlag(string flags) => !Delays ? flags : flags == ResponseFlags.None ? "DI" : $"{flags},DI";

    public static InjectedFault Draw(CompiledRoute? route)
    {
        if (route?.Rule.Fault is not { } fault) return default;
        var delay = fault.DelayMs is int ms and > 0 && Hits(fault.DelayPercent) ? TimeSpan.FromMilliseconds(ms) : TimeSpan.Zero;
        var abort = fault.AbortStatus is int status and >= 200 and <= 599 && Hits(fault.AbortPercent) ? status : 0;
        return new InjectedFault(delay, abort);
    }

    private static bool Hits(double percent) => percent >= 100 || (percent > 0 && Random.Shared.NextDouble() * 100 < percent);

    /// <summary>
    /// Waits out the delay and, for an abort, answers the client and records the request; true when the request was
    /// aborted (the caller forwards nothing). With <paramref name="close"/> (a request body left unread, or the client
    /// asked) the answer closes the connection.
    /// </summary>
    public async ValueTask<bool> ApplyAsync(HttpOutput downOut, bool close, ProxyMetrics metrics, LabelsHandle labels, long started, CancellationToken cancellationToken)
    {
        if (Delays)
        {
            // The connection closing ends the wait; the request is then not forwarded.
            try { await Task.Delay(Delay, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { return true; }
        }
        if (!Aborts) return false;
        await Http1Relay.WriteLocalResponseAsync(downOut, AbortStatus, AbortBody, close, cancellationToken).ConfigureAwait(false);
        metrics.RecordRequest(labels, AbortStatus, Flags, Stopwatch.GetElapsedTime(started).TotalMilliseconds, 0, Http1Relay.LocalBodyBytes(AbortBody));
        return true;
    }
}
