using Meshwork.Policy.Why;

namespace Meshwork.Cli.Commands.Diagnostics;

/// <summary>For each cause, the command that shows the user the thing to change: one table, so every cause has one.</summary>
internal static class WhyNextCommand
{
    /// <param name="diagnosis">The diagnosis.</param>
    /// <param name="from">The client with its namespace (deploy/sleep.legacy).</param>
    public static string For(CallDiagnosis diagnosis, string from)
    {
        ArgumentNullException.ThrowIfNull(diagnosis);
        var (ns, pod) = Split(diagnosis.Endpoint);
        var serviceNamespace = diagnosis.Explanation.Service?.Split('.') is [_, var n, ..] ? n : ns;
        return diagnosis.Cause switch
        {
            CallFailureCause.NoService => "meshwork get services -A",
            CallFailureCause.OutOfScope => Resource(diagnosis, "Sidecar") is { } sidecar
                ? $"meshwork get sidecar {sidecar.Name} -n {sidecar.Namespace} -o yaml"
                : "meshwork get sidecars -A -o yaml",
            CallFailureCause.NoRoute => Resource(diagnosis, "VirtualService") is { } vs
                ? $"meshwork get virtualservice {vs.Name} -n {vs.Namespace} -o yaml"
                : $"meshwork get virtualservices -n {serviceNamespace} -o yaml",
            CallFailureCause.NoEndpoint => $"meshwork get pods -n {serviceNamespace} --show-labels",
            CallFailureCause.NoHealthyUpstream => $"meshwork get pods -n {serviceNamespace}",
            // The sidecar that counted the failure logs each one with its flag and the upstream's error.
            CallFailureCause.UpstreamConnectFailure or CallFailureCause.UpstreamReset or CallFailureCause.UpstreamTimeout
                or CallFailureCause.DownstreamReset => diagnosis.Reporter == "source" && Split(diagnosis.Explanation.From) is var (cns, cpod)
                ? $"meshwork logs {cpod} -c istio-proxy -n {cns}"
                : $"meshwork logs {pod} -c istio-proxy -n {ns}",
            CallFailureCause.PeerNotMeshed => $"meshwork x describe pod {pod} -n {ns}",
            // A meshed client sends plaintext only because a DestinationRule says so: tls-check names it as a CONFLICT.
            CallFailureCause.StrictAgainstPlaintext => diagnosis.Explanation.ClientHasSidecar
                ? $"meshwork authn tls-check {from} {diagnosis.Explanation.Service}"
                : $"meshwork x mtls preflight -n {ns}",
            CallFailureCause.TlsModeMismatch => $"meshwork authn tls-check {from} {diagnosis.Explanation.Service}",
            // The identities a client accepts come from a DestinationRule's subjectAltNames when one sets them.
            CallFailureCause.IdentityMismatch => Resource(diagnosis, "DestinationRule") is { } dr
                ? $"meshwork get destinationrule {dr.Name} -n {dr.Namespace} -o yaml"
                : $"meshwork x describe pod {pod} -n {ns}",
            CallFailureCause.UntrustedCertificate => $"meshwork proxy-config secret {pod} -n {ns}",
            CallFailureCause.ExpiredCertificate => "meshwork x certs --expiring-within 24h",
            CallFailureCause.AuthorizationDenied => diagnosis.Policy?.Split('/') is [var pns, var name]
                ? $"meshwork get authorizationpolicy {name} -n {pns} -o yaml"
                : $"meshwork get authorizationpolicies -n {ns} -o yaml",
            _ => $"meshwork logs {pod} -c istio-proxy -n {ns}",
        };
    }

    private static (string Namespace, string Name) Split(string? workload) =>
        workload?.Split('/', 2) is [var ns, var name] ? (ns, name) : ("default", "POD");

    /// <summary>The first resource of <paramref name="kind"/> the evidence names ("Kind/ns/name").</summary>
    private static (string Namespace, string Name)? Resource(CallDiagnosis diagnosis, string kind) =>
        diagnosis.Evidence.Concat(diagnosis.Explanation.Reasons)
            .Select(r => r.Resource?.Split('/'))
            .FirstOrDefault(parts => parts is [var k, _, _] && k == kind) is [_, var ns, var name] ? (ns, name) : null;
}
