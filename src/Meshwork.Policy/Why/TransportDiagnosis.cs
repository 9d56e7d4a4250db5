using System.Collections.Immutable;
using System.Globalization;
using Meshwork.Policy.Traffic;

namespace Meshwork.Policy.Why;

/// <summary>
/// Failures no policy shows: the response flags the two sidecars counted for this call (Envoy's flags, as Istio's
/// istio_requests_total carries them). Counters hold a proxy's whole life, so a failure is named only while nothing
/// of this call succeeded: once a request went through, the failures counted are history, and stay evidence.
/// </summary>
internal static class TransportDiagnosis
{
    /// <summary>The flags that name a cause, the most telling first: one answer may carry several ("UF,URX").</summary>
    private static readonly (string Flag, CallFailureCause Cause)[] Flags =
    [
        ("UH", CallFailureCause.NoHealthyUpstream),
        ("UF", CallFailureCause.UpstreamConnectFailure),
        ("URX", CallFailureCause.UpstreamConnectFailure),
        ("UT", CallFailureCause.UpstreamTimeout),
        ("UC", CallFailureCause.UpstreamReset),
        ("DC", CallFailureCause.DownstreamReset),
    ];

    public static (CallFailureCause Cause, string Reporter, string Summary)? Find(
        LiveCallState live, EndpointExplanation endpoint, string service, ImmutableArray<Reason>.Builder evidence)
    {
        var server = live.ServerObserved.GetValueOrDefault(endpoint.Workload, []);
        foreach (var o in live.ClientObserved.Where(o => !o.Succeeded))
        {
            evidence.Add(new Reason($"Live: the client's sidecar counted {Calls(o)} to {service} answered {Answer(o)}."));
        }
        foreach (var o in server.Where(o => !o.Succeeded))
        {
            evidence.Add(new Reason($"Live: the sidecar of {endpoint.Workload} counted {Calls(o)} from the client answered {Answer(o)}."));
        }
        var succeeded = live.ClientObserved.Concat(server).Where(o => o.Succeeded).Sum(o => o.Count);
        if (succeeded > 0)
        {
            if (evidence.Count > 0) evidence.Add(new Reason(string.Create(CultureInfo.InvariantCulture, $"Live: {succeeded} call(s) of this kind succeeded, so the failures counted are not the rule.")));
            return null;
        }
        // The flag counted most often names the cause; at a tie the endpoint's sidecar, the one nearer the fault.
        var found = server.Select(o => (Observed: o, Reporter: "destination"))
            .Concat(live.ClientObserved.Select(o => (Observed: o, Reporter: "source")))
            .Select(c => (c.Observed, c.Reporter, Cause: CauseOf(c.Observed.Flags)))
            .Where(c => c.Cause is not null)
            .OrderByDescending(c => c.Observed.Count)
            .FirstOrDefault();
        if (found.Cause is not { } cause) return null;
        return (cause, found.Reporter, Summary(cause, found.Reporter, found.Observed, endpoint, service));
    }

    private static CallFailureCause? CauseOf(string flags)
    {
        var set = flags.Split(',');
        foreach (var (flag, cause) in Flags)
        {
            if (set.Contains(flag, StringComparer.Ordinal)) return cause;
        }
        return null;
    }

    private static string Summary(CallFailureCause cause, string reporter, ObservedCalls o, EndpointExplanation endpoint, string service)
    {
        var atServer = reporter == "destination";
        var counted = $"{Calls(o)} answered {Answer(o)}";
        var who = atServer ? $"The sidecar of {endpoint.Workload}" : "The client's sidecar";
        var upstream = atServer ? $"its application on port {endpoint.Port}" : $"{endpoint.Workload} port {endpoint.Port}";
        return cause switch
        {
            CallFailureCause.NoHealthyUpstream =>
                $"The client's sidecar found no healthy endpoint of {service} ({counted}): every endpoint is unready or failing.",
            // URX alone: every attempt the route allowed failed, by a refused connection or an answer the route retries.
            CallFailureCause.UpstreamConnectFailure when !o.Flags.Split(',').Contains("UF", StringComparer.Ordinal) =>
                $"{who} used up its retries towards {upstream} ({counted}): each attempt was refused or answered with a status the route retries.",
            CallFailureCause.UpstreamConnectFailure => atServer
                ? $"{who} could not connect to {upstream} ({counted}): the application does not listen there or refuses the connection."
                : $"{who} could not connect to {upstream} ({counted}): the connection was refused or reset before the request was sent.",
            CallFailureCause.UpstreamTimeout =>
                $"{who} gave up waiting for {upstream} ({counted}): the route's timeout passed before it answered.",
            CallFailureCause.UpstreamReset =>
                $"{who} saw {upstream} reset the connection before it answered ({counted}).",
            _ => $"The client went away before the answer came ({counted}): its own timeout or reset, while {upstream} was still working.",
        };
    }

    private static string Calls(ObservedCalls o) =>
        string.Create(CultureInfo.InvariantCulture, $"{o.Count} {(o.Code == 0 ? "TCP connection(s)" : "request(s)")}");

    private static string Answer(ObservedCalls o) =>
        o.Code == 0 ? $"with flags {o.Flags}" : string.Create(CultureInfo.InvariantCulture, $"{o.Code} with flags {o.Flags}");
}
