using System.Collections.Immutable;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.Policy.Sidecars;
using Meshwork.Policy.Traffic;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Policy.Why;

/// <summary>
/// Sidecar scoping: a client's sidecar is told only about the Services its Sidecar resource's egress hosts list
/// (<see cref="SidecarScope"/>, the scope the control plane pushes). A call to any other Service goes to Istio's
/// BlackHoleCluster under REGISTRY_ONLY (502, flag NR); under ALLOW_ANY a captured connection goes to the
/// PassthroughCluster, plaintext to the address the app dialled, without mTLS or secure naming, while the app's
/// http_proxy finds no route (502).
/// </summary>
internal static class ScopeDiagnosis
{
    public static (string Summary, ImmutableArray<Reason> Evidence)? Find(MeshState mesh, Workload? client, TrafficExplanation explanation)
    {
        if (client is not { HasSidecar: true } || explanation.Service is not { } service || explanation.ServicePort is null) return null;
        if (service.Split('.') is not [_, var serviceNamespace, ..]) return null;
        var scope = SidecarScope.For(mesh, client.Namespace, client.Labels);
        if (scope.Sidecar is not { } sidecar || scope.Includes(serviceNamespace, service)) return null;

        var resource = $"Sidecar/{sidecar}";
        var registryOnly = scope.Mode == OutboundTrafficMode.RegistryOnly;
        var mode = registryOnly ? "REGISTRY_ONLY" : "ALLOW_ANY";
        ImmutableArray<Reason> evidence =
        [
            new($"Sidecar {sidecar} scopes {client.Ref} ({scope.SidecarReason}); its egress hosts [{string.Join(", ", scope.Hosts)}] leave out {serviceNamespace}/{service}, so the client's sidecar has no cluster for it.",
                resource, "spec.egress"),
            new($"The outbound traffic policy is {mode} ({scope.ModeSource}).",
                scope.ModeSource == $"Sidecar {sidecar}" ? resource : null, "spec.outboundTrafficPolicy"),
        ];
        var opening = $"{service} is outside the scope of Sidecar {sidecar}, which applies to {client.Ref}, and the outbound traffic policy is {mode} ({scope.ModeSource})";
        var summary = registryOnly
            ? $"{opening}: the client's sidecar sends the call to the BlackHoleCluster and answers 502 (flag NR)."
            : $"{opening}: the client's sidecar does not know the Service, so the app's http_proxy gets 502 and a captured connection passes through as plaintext (PassthroughCluster), without mTLS or secure naming; {PassthroughEffect(explanation)}.";
        return (summary, evidence);
    }

    /// <summary>What the endpoint makes of a plaintext passthrough connection.</summary>
    private static string PassthroughEffect(TrafficExplanation explanation)
    {
        if (explanation.Endpoints.FirstOrDefault(e => e.ServerMode == InboundMtls.Text(InboundTlsMode.Strict)) is { } strict)
        {
            return $"port {strict.Port} of {strict.Workload} is STRICT ({strict.ServerModeSource}) and resets that plaintext";
        }
        if (explanation.Endpoints.FirstOrDefault(e => e.HasSidecar) is { } permissive)
        {
            return $"port {permissive.Port} of {permissive.Workload} is {permissive.ServerMode} and takes it: a silent downgrade to plaintext";
        }
        return "the endpoint has no sidecar and takes the plaintext";
    }
}
