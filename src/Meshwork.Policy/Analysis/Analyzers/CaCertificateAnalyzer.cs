using Meshwork.Model.Resources;

namespace Meshwork.Policy.Analysis.Analyzers;

/// <summary>
/// IST0128 / IST0129: a DestinationRule originating SIMPLE or MUTUAL TLS with nothing to verify the
/// server with (no caCertificates, no credentialName), so any server certificate is accepted.
/// </summary>
internal sealed class CaCertificateAnalyzer : IMeshAnalyzer
{
    public IEnumerable<AnalysisMessage> Analyze(AnalysisContext context)
    {
        foreach (var rule in context.Mesh.DestinationRules)
        {
            var ns = rule.Metadata.Namespace ?? "default";
            var policy = rule.Spec.TrafficPolicy;
            if (policy is null) continue;
            var prefix = $"DestinationRule {ns}/{rule.Metadata.Name} in namespace {ns} has TLS mode set to";
            if (Unverified(policy.Tls) is { } mode)
            {
                yield return new AnalysisMessage(AnalysisCode.NoServerCertificateVerificationDestinationLevel, rule.Kind, ns, rule.Metadata.Name,
                    $"{prefix} {mode} but no caCertificates are set to validate server identity for host: {rule.Spec.Host}");
            }
            foreach (var port in policy.PortLevelSettings)
            {
                if (Unverified(port.Tls) is not { } portMode) continue;
                yield return new AnalysisMessage(AnalysisCode.NoServerCertificateVerificationPortLevel, rule.Kind, ns, rule.Metadata.Name,
                    $"{prefix} {portMode} but no caCertificates are set to validate server identity for host: {rule.Spec.Host} at port number:{port.Port}");
            }
        }
    }

    /// <summary>The mode's name when it verifies the server with nothing; null otherwise.</summary>
    private static string? Unverified(ClientTlsSettings? tls)
    {
        if (tls is null || tls.Mode is not (ClientTlsMode.Simple or ClientTlsMode.Mutual)) return null;
        if (!string.IsNullOrEmpty(tls.CaCertificates) || !string.IsNullOrEmpty(tls.CredentialName) || tls.InsecureSkipVerify) return null;
        return ClientTls.Text(ClientTls.ToUpstream(tls.Mode));
    }
}
