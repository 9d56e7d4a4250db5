namespace Meshwork.Policy.Analysis;

/// <summary>How bad a finding is, in istioctl analyze's order: Error fails the run, the others inform.</summary>
public enum AnalysisLevel { Info = 0, Warning = 1, Error = 2 }

/// <summary>The kind of a finding: Istio's code where Istio has one (IST…), Meshwork's own (MWK…) for what Istio dropped.</summary>
public sealed record AnalysisCode(string Code, string Name, AnalysisLevel Level)
{
    // Istio's codes, with Istio's levels (https://istio.io/latest/docs/reference/config/analysis/).
    public static readonly AnalysisCode ReferencedResourceNotFound = new("IST0101", "ReferencedResourceNotFound", AnalysisLevel.Error);
    public static readonly AnalysisCode NamespaceNotInjected = new("IST0102", "NamespaceNotInjected", AnalysisLevel.Info);
    public static readonly AnalysisCode PodMissingProxy = new("IST0103", "PodMissingProxy", AnalysisLevel.Warning);
    public static readonly AnalysisCode NoMatchingWorkloadsFound = new("IST0127", "NoMatchingWorkloadsFound", AnalysisLevel.Warning);
    public static readonly AnalysisCode NoServerCertificateVerificationDestinationLevel = new("IST0128", "NoServerCertificateVerificationDestinationLevel", AnalysisLevel.Error);
    public static readonly AnalysisCode NoServerCertificateVerificationPortLevel = new("IST0129", "NoServerCertificateVerificationPortLevel", AnalysisLevel.Error);

    // Meshwork's own: the PeerAuthentication/DestinationRule conflicts Istio stopped reporting when it removed `authn tls-check`.
    public static readonly AnalysisCode PlaintextTowardsStrict = new("MWK0001", "PlaintextTowardsStrict", AnalysisLevel.Error);
    public static readonly AnalysisCode IstioMutualWithoutSidecar = new("MWK0002", "IstioMutualWithoutSidecar", AnalysisLevel.Error);
    public static readonly AnalysisCode ExplicitTlsForMixedEndpoints = new("MWK0003", "ExplicitTlsForMixedEndpoints", AnalysisLevel.Warning);
    public static readonly AnalysisCode PortLevelMtlsOnUndeclaredPort = new("MWK0004", "PortLevelMtlsOnUndeclaredPort", AnalysisLevel.Warning);
    public static readonly AnalysisCode SelectorPolicyInRootNamespace = new("MWK0005", "SelectorPolicyInRootNamespace", AnalysisLevel.Warning);
    public static readonly AnalysisCode ShadowedPolicy = new("MWK0006", "ShadowedPolicy", AnalysisLevel.Warning);
    public static readonly AnalysisCode ServiceOutsideSidecarScope = new("MWK0007", "ServiceOutsideSidecarScope", AnalysisLevel.Warning);
}

/// <summary>One finding about one resource.</summary>
/// <param name="Namespace">The resource's namespace; for a Namespace, its own name (what -n filters on).</param>
/// <param name="Text">A sentence that names what is wrong and what to do about it.</param>
public sealed record AnalysisMessage(AnalysisCode Code, string Kind, string? Namespace, string Name, string Text)
{
    public AnalysisLevel Level => Code.Level;

    /// <summary>The namespace the finding belongs to, for -n: a Namespace belongs to itself.</summary>
    public string? Scope => Kind == "Namespace" ? Name : Namespace;
}
