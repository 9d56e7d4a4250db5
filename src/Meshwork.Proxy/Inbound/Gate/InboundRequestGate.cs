using System.Net;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.Proxy.Metrics;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Gate;

/// <summary>
/// The one inbound request gate, for every protocol and entry (HTTP/1.1 relay, HTTP/2, TCP connections):
/// the port's current mode still admits the connection, the port's already-resolved AuthorizationPolicies
/// allow the request (one Host rule: as sent), and the labels the request is counted under (the peer's
/// workload from its metadata, trusted only over mTLS). Fails closed: an evaluator failure denies.
/// </summary>
internal sealed class InboundRequestGate(ProxyState state, ProxyMetrics metrics, ILogger logger)
{
    /// <summary>Judges one HTTP request on <paramref name="connection"/>.</summary>
    public GateDecision Check(InboundConnectionFeature connection, IInboundRequest request, IPEndPoint? remote, IPEndPoint? local)
    {
        var port = CurrentPort(connection);
        if (port is null || !ModeAdmits(port.Mode, connection.Tls))
        {
            // The port's mode changed under a kept-alive connection (PERMISSIVE -> STRICT, say). Envoy drains
            // connections on a listener change; the next request is refused the way a new connection would be.
            var mode = port?.Mode.ToString() ?? "removed";
            ProxyLog.InboundModeChanged(logger, connection.Port.Port, mode);
            return new GateDecision(GateVerdict.Reset, port, $"the port's mode is now {mode}");
        }
        if (port.Authorization.IsDefaultOrEmpty) return new GateDecision(GateVerdict.Admit, port, "no authorization policy applies");
        var path = AuthzPath.Of(request.Target);
        var decision = Evaluate(port, new AuthzRequest
        {
            IsHttp = true,
            Principal = (connection.Tls as InboundTlsOutcome.Mutual)?.PeerPrincipal,
            SourceIp = remote?.Address,
            RemoteIp = remote?.Address,
            DestinationIp = local?.Address,
            DestinationPort = port.Port,
            Host = request.Host,
            Method = request.Method,
            Path = path,
            Header = request.Header,
        });
        if (decision.Allowed) return new GateDecision(GateVerdict.Admit, port, decision.Reason);
        ProxyLog.InboundDenied(logger, port.Port, request.Method, path, decision.Reason);
        return new GateDecision(GateVerdict.Deny, port, decision.Reason);
    }

    /// <summary>Judges a TCP connection (no HTTP fields: rules that need them do not match, as in Istio).</summary>
    public GateDecision CheckConnection(InboundPort port, InboundTlsOutcome tls, IPEndPoint? remote, IPEndPoint? local)
    {
        if (port.Authorization.IsDefaultOrEmpty) return new GateDecision(GateVerdict.Admit, port, "no authorization policy applies");
        var decision = Evaluate(port, new AuthzRequest
        {
            IsHttp = false,
            Principal = (tls as InboundTlsOutcome.Mutual)?.PeerPrincipal,
            SourceIp = remote?.Address,
            RemoteIp = remote?.Address,
            DestinationIp = local?.Address,
            DestinationPort = port.Port,
        });
        if (decision.Allowed) return new GateDecision(GateVerdict.Admit, port, decision.Reason);
        ProxyLog.InboundDenied(logger, port.Port, null, null, decision.Reason);
        return new GateDecision(GateVerdict.Deny, port, decision.Reason);
    }

    /// <summary>
    /// The labels a request on <paramref name="connection"/> is counted under: the connection's, plus the source
    /// workload once an mTLS peer sent its metadata (read from the first such request, then cached on the connection).
    /// </summary>
    public LabelsHandle Labels(InboundConnectionFeature connection, IInboundRequest request)
    {
        if (!connection.Tls.IsMutual) return connection.Labels;
        if (connection.PeerLabels is { } cached) return cached;
        if (request.Header(Meshwork.Proxy.Forwarding.PeerMetadata.Workload) is not { Length: > 0 } workload) return connection.Labels;
        var app = request.Header(Meshwork.Proxy.Forwarding.PeerMetadata.App);
        var labels = metrics.Intern(connection.BaseLabels with
        {
            SourceWorkload = workload,
            SourceCanonicalService = app ?? workload,
            SourceApp = app ?? MetricLabels.Unknown,
            SourceVersion = request.Header(Meshwork.Proxy.Forwarding.PeerMetadata.Version) ?? MetricLabels.Unknown,
        });
        connection.PeerLabels = labels;
        return labels;
    }

    /// <summary>The port as the current snapshot has it: one reference compare per request while nothing changed.</summary>
    private InboundPort? CurrentPort(InboundConnectionFeature connection)
    {
        var current = state.Config;
        if (current is null || ReferenceEquals(current, connection.Config)) return connection.Port;
        return current.InboundByPort.TryGetValue(connection.Port.Port, out var port) ? port : null;
    }

    private static bool ModeAdmits(InboundTlsMode mode, InboundTlsOutcome tls) => mode switch
    {
        InboundTlsMode.Strict => tls.IsMutual,
        InboundTlsMode.Disable => !tls.IsMutual,
        _ => true,
    };

    private AuthzDecision Evaluate(InboundPort port, AuthzRequest request)
    {
        try
        {
            return AuthzEvaluator.Evaluate(port.Authorization, request);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError(e, "authorization evaluation failed on port {Port}; denying", port.Port);
            return new AuthzDecision { Allowed = false, Reason = $"authorization could not be evaluated: {e.Message}" };
        }
    }
}
