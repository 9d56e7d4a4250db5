using System.Net;
using Meshwork.Identity;

namespace Meshwork.Testing;

/// <summary>Extended key usages a test leaf carries.</summary>
public enum LeafUsage
{
    /// <summary>serverAuth + clientAuth, as Meshwork and istiod issue.</summary>
    ServerAndClient,
    ServerOnly,
    ClientOnly,

    /// <summary>No extendedKeyUsage extension at all.</summary>
    NoEku,
}

/// <summary>What a <see cref="TestCertificateAuthority"/> puts in a leaf. Defaults give a valid mesh workload certificate.</summary>
public sealed record LeafSpec
{
    /// <summary>The SPIFFE ID written as URI SAN; null for none.</summary>
    public SpiffeId? Identity { get; init; }

    /// <summary>Further URI SANs, written after <see cref="Identity"/>.</summary>
    public IReadOnlyList<string> ExtraUris { get; init; } = [];

    public IReadOnlyList<string> DnsNames { get; init; } = [];
    public IReadOnlyList<IPAddress> IpAddresses { get; init; } = [];

    /// <summary>Subject DN; empty like istiod's certificates by default.</summary>
    public string Subject { get; init; } = "";

    /// <summary>Start of validity; default: the CA clock's now minus 2 minutes.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>End of validity; default: NotBefore + 2 min + <see cref="Lifetime"/>.</summary>
    public DateTimeOffset? NotAfter { get; init; }

    public TimeSpan Lifetime { get; init; } = TimeSpan.FromHours(24);
    public LeafUsage Usage { get; init; } = LeafUsage.ServerAndClient;
    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.EcdsaP256;
}
