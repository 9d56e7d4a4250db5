using Meshwork.Model.Resources;
using Meshwork.Policy.Sidecars;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Outbound;

/// <summary>A sidecar's <see cref="SidecarScope"/> as its snapshot carries it.</summary>
internal static class OutboundScopes
{
    /// <summary>Null when nothing scopes the sidecar and unlisted traffic passes by default, so such snapshots read as they always did.</summary>
    public static OutboundScope? Of(SidecarScope scope)
    {
        if (scope.Sidecar is null && scope.Mode == OutboundTrafficMode.AllowAny && scope.ModeSource == "default") return null;
        return new OutboundScope
        {
            Sidecar = scope.Sidecar is { } sidecar ? $"Sidecar {sidecar} ({scope.SidecarReason})" : null,
            Hosts = [.. scope.Hosts.Select(h => h.ToString())],
            Unlisted = scope.Mode == OutboundTrafficMode.RegistryOnly ? UnlistedTraffic.BlackHole : UnlistedTraffic.Passthrough,
            UnlistedSource = scope.ModeSource,
        };
    }
}
