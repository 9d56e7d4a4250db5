using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity;

public enum KeyAlgorithm { EcdsaP256, Rsa2048 }

/// <summary>
/// The set of roots a proxy accepts for mesh traffic. Never the OS trust store. May hold several
/// roots (root rotation).
/// </summary>
public sealed class TrustBundle
{
    public ImmutableArray<X509Certificate2> Roots { get; }

    public TrustBundle(IEnumerable<X509Certificate2> roots) => Roots = [.. roots];

    public static TrustBundle FromPem(IEnumerable<string> pems) => throw new NotImplementedException();

    public ImmutableArray<string> ToPem() => throw new NotImplementedException();

    /// <summary>
    /// Builds a chain from <paramref name="leaf"/> through <paramref name="intermediates"/> to one of
    /// <see cref="Roots"/> with a custom trust store (no OS roots, no revocation). On failure
    /// <paramref name="error"/> says why, in words a user can act on.
    /// </summary>
    public bool Verify(X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, DateTimeOffset now, out string? error)
        => throw new NotImplementedException();
}

/// <summary>Reads identities out of certificates.</summary>
public static class CertificateIdentity
{
    /// <summary>The URI SAN that is a SPIFFE ID, or null.</summary>
    public static string? GetSpiffeUri(X509Certificate2 certificate) => throw new NotImplementedException();
}

/// <summary>
/// A workload's credentials: its leaf certificate with private key, the intermediates up to the
/// root, and the trust bundle. Immutable; rotation swaps a whole new instance.
/// </summary>
public sealed class WorkloadCredentials
{
    public required X509Certificate2 Leaf { get; init; }
    public required ImmutableArray<X509Certificate2> Intermediates { get; init; }
    public required TrustBundle TrustBundle { get; init; }
    public required SpiffeId Identity { get; init; }
    public DateTimeOffset NotBefore => Leaf.NotBefore.ToUniversalTime();
    public DateTimeOffset NotAfter => Leaf.NotAfter.ToUniversalTime();

    /// <summary>Writes cert-chain.pem (leaf + intermediates), key.pem (mode 0600) and root-cert.pem, atomically per file.</summary>
    public void WriteTo(string directory) => throw new NotImplementedException();

    /// <summary>Reads the files <see cref="WriteTo"/> writes.</summary>
    public static WorkloadCredentials ReadFrom(string directory) => throw new NotImplementedException();

    /// <summary>Assembles credentials from the proxy's private key and a CA's PEM chain (leaf first, root last).</summary>
    public static WorkloadCredentials FromSignedChain(AsymmetricAlgorithm privateKey, IReadOnlyList<string> chainPem, TrustBundle trustBundle)
        => throw new NotImplementedException();
}

/// <summary>Proxy side of issuance: the private key never leaves the proxy.</summary>
public static class CsrFactory
{
    /// <summary>Creates a new key and a PKCS#10 CSR (PEM) that asks for <paramref name="identity"/>.</summary>
    public static (AsymmetricAlgorithm PrivateKey, string CsrPem) Create(SpiffeId identity, KeyAlgorithm algorithm = KeyAlgorithm.EcdsaP256)
        => throw new NotImplementedException();
}
