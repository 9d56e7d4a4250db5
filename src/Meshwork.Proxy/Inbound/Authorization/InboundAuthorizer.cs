using System.Net;
using Meshwork.Proxy.Inbound.Tls;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Inbound.Authorization;

/// <summary>
/// Executes the port's already-resolved AuthorizationPolicies through <see cref="AuthzEvaluator"/>.
/// Fails closed: an evaluator failure denies.
/// </summary>
internal static class InboundAuthorizer
{
    public static AuthzDecision Evaluate(InboundPort port, InboundTlsOutcome tls, ConnectionContext? connection, HttpContext? http, ILogger logger)
    {
        if (port.Authorization.IsDefaultOrEmpty)
            return new AuthzDecision { Allowed = true, Reason = "no authorization policy applies" };

        var remote = (connection?.RemoteEndPoint ?? (http is null ? null : new IPEndPoint(http.Connection.RemoteIpAddress ?? IPAddress.None, http.Connection.RemotePort))) as IPEndPoint;
        var local = (connection?.LocalEndPoint ?? (http is null ? null : new IPEndPoint(http.Connection.LocalIpAddress ?? IPAddress.None, http.Connection.LocalPort))) as IPEndPoint;
        var request = new AuthzRequest
        {
            IsHttp = http is not null,
            Principal = (tls as InboundTlsOutcome.Mutual)?.PeerPrincipal,
            SourceIp = remote?.Address,
            RemoteIp = remote?.Address,
            DestinationIp = local?.Address,
            DestinationPort = port.Port,
            // As sent, port included: Envoy's :authority matcher sees "httpbin.foo:8000".
            Host = http?.Request.Host.Value,
            Method = http?.Request.Method,
            Path = http?.Request.Path.Value,
            Header = http is null ? null : name => http.Request.Headers.TryGetValue(name, out var v) ? v.ToString() : null,
        };
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
