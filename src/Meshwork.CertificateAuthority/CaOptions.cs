using Meshwork.Identity;

namespace Meshwork.CertificateAuthority;

public sealed record CaOptions
{
    public string TrustDomain { get; init; } = "cluster.local";

    /// <summary>Lifetime of a workload certificate when the caller asks for none (Istio DEFAULT_WORKLOAD_CERT_TTL).</summary>
    public TimeSpan DefaultTtl { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Longest lifetime a caller may ask for; above it the request is refused (Istio MAX_WORKLOAD_CERT_TTL).</summary>
    public TimeSpan MaxTtl { get; init; } = TimeSpan.FromDays(90);

    /// <summary>Key type of a self-signed root created on first start.</summary>
    public KeyAlgorithm RootKeyAlgorithm { get; init; } = KeyAlgorithm.EcdsaP256;

    /// <summary>Lifetime of a self-signed root (Istio CITADEL_SELF_SIGNED_CA_CERT_TTL, 10 years).</summary>
    public TimeSpan RootTtl { get; init; } = TimeSpan.FromDays(3650);

    /// <summary>Lifetime of the control plane's own serving certificate (not bounded by <see cref="MaxTtl"/>).</summary>
    public TimeSpan ServingCertificateTtl { get; init; } = TimeSpan.FromDays(365);

    /// <summary>Rotate a self-signed root when less than this fraction of its lifetime remains (Istio: 20 %).</summary>
    public double RootRotationThreshold { get; init; } = 0.2;

    /// <summary>How often a <see cref="RootRotator"/> checks the root (Istio: every hour).</summary>
    public TimeSpan RootRotationCheckInterval { get; init; } = TimeSpan.FromHours(1);

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>Throws <see cref="CaException"/> (BadCaConfiguration) when the options cannot work.</summary>
    public void Validate()
    {
        if (!SpiffeId.TryParse($"{SpiffeId.Scheme}{TrustDomain}/ns/x/sa/y", out var probe) || probe.TrustDomain != TrustDomain)
            throw new CaException(CaErrorKind.BadCaConfiguration, $"trust domain '{TrustDomain}' is not valid: use a DNS-like name such as cluster.local");
        if (DefaultTtl <= TimeSpan.Zero)
            throw new CaException(CaErrorKind.BadCaConfiguration, $"the default certificate TTL must be positive (got {DefaultTtl})");
        if (MaxTtl < DefaultTtl)
            throw new CaException(CaErrorKind.BadCaConfiguration, $"the maximum certificate TTL ({MaxTtl}) is below the default TTL ({DefaultTtl})");
        if (RootRotationThreshold is <= 0 or >= 1 || RootRotationCheckInterval <= TimeSpan.Zero)
            throw new CaException(CaErrorKind.BadCaConfiguration, "the root rotation threshold must be between 0 and 1 and the check interval positive");
        if (RootTtl <= TimeSpan.Zero || ServingCertificateTtl <= TimeSpan.Zero)
            throw new CaException(CaErrorKind.BadCaConfiguration, "root and serving certificate TTLs must be positive");
    }
}
