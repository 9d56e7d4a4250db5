namespace Meshwork.Proxy.Inbound.Gate;

/// <summary>
/// One inbound request as the client sent it, whatever the protocol: what the request gate judges. Values
/// are read only when a policy needs them, so a request on a port without policies makes no strings.
/// </summary>
internal interface IInboundRequest
{
    string Method { get; }

    /// <summary>
    /// The Host field (HTTP/1.1) or :authority (HTTP/2) as sent, port included: Istio's
    /// <c>to.operation.hosts</c> sees it that way (a policy must list <c>host:port</c> when clients send the port).
    /// </summary>
    string? Host { get; }

    /// <summary>The request target as sent (origin-form, or absolute-form).</summary>
    string Target { get; }

    /// <summary>A field's value; repeated fields joined with ',' (RFC 9110 §5.3), as Envoy presents them to RBAC.</summary>
    string? Header(string name);
}
