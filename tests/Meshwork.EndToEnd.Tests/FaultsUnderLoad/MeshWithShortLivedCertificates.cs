namespace Meshwork.EndToEnd.Tests.FaultsUnderLoad;

/// <summary>
/// The same mesh under load, with a control plane that signs workload certificates for <see cref="Lifetime"/>
/// only (MESHWORK_WORKLOAD_CERT_TTL, istiod's DEFAULT_WORKLOAD_CERT_TTL): sidecars renew every ten seconds, and a
/// control plane away for half a minute outlives every certificate.
/// </summary>
public sealed class MeshWithShortLivedCertificates : MeshUnderLoad
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(20);

    protected override IReadOnlyDictionary<string, string> CommandEnvironment { get; } =
        new Dictionary<string, string> { ["MESHWORK_WORKLOAD_CERT_TTL"] = $"{Lifetime.TotalSeconds:0}s" };
}
