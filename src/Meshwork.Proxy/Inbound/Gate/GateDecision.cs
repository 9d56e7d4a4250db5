using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Inbound.Gate;

/// <summary>What the request gate decided.</summary>
internal enum GateVerdict
{
    /// <summary>Forward to the app.</summary>
    Admit,
    /// <summary>The port's mode changed under a kept-alive connection and no longer admits it: reset, as a new connection would be.</summary>
    Reset,
    /// <summary>Authorization denied it: 403 <c>RBAC: access denied</c>, response flag RBAC.</summary>
    Deny,
}

/// <summary>A gate decision with its reason, and the port as the current snapshot has it.</summary>
internal readonly record struct GateDecision(GateVerdict Verdict, InboundPort? Port, string Reason)
{
    /// <summary>Envoy's body for an RBAC denial.</summary>
    public const string DeniedBody = "RBAC: access denied";
    /// <summary>Envoy's response flag for an RBAC denial.</summary>
    public const string DeniedFlag = "RBAC";
}
