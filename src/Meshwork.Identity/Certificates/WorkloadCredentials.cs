using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity;

/// <summary>
/// A workload's credentials: its leaf certificate with private key, the intermediates up to the
/// root, and the trust bundle. Immutable; rotation swaps a whole new instance.
/// </summary>
public sealed class WorkloadCredentials
{
    /// <summary>Istio's file names, which the proxy writes and `openssl` reads.</summary>
    public const string CertChainFile = "cert-chain.pem";
    public const string KeyFile = "key.pem";
    public const string RootCertFile = "root-cert.pem";

    public required X509Certificate2 Leaf { get; init; }
    public required ImmutableArray<X509Certificate2> Intermediates { get; init; }
    public required TrustBundle TrustBundle { get; init; }
    public required SpiffeId Identity { get; init; }
    public DateTimeOffset NotBefore => Leaf.NotBefore.ToUniversalTime();
    public DateTimeOffset NotAfter => Leaf.NotAfter.ToUniversalTime();

    /// <summary>The total validity period of the leaf.</summary>
    public TimeSpan Lifetime => NotAfter - NotBefore;

    /// <summary>Leaf then intermediates, as PEM: the contents of cert-chain.pem and what a TLS server presents.</summary>
    public string CertificateChainPem => Pem.Write(Intermediates.Prepend(Leaf));

    /// <summary>Leaf and intermediates as a collection, for SslStreamCertificateContext.Create.</summary>
    public X509Certificate2Collection IntermediateCollection => [.. Intermediates];

    /// <summary>Writes cert-chain.pem (leaf + intermediates), key.pem (mode 0600) and root-cert.pem, atomically per file.</summary>
    public void WriteTo(string directory)
    {
        Directory.CreateDirectory(directory);
        // Key first: a reader that sees the new chain then finds the matching key already in place.
        using var key = Pem.GetPrivateKey(Leaf);
        AtomicFile.WriteAllText(Path.Combine(directory, KeyFile), Pem.WritePrivateKey(key), AtomicFile.Private);
        AtomicFile.WriteAllText(Path.Combine(directory, CertChainFile), CertificateChainPem, AtomicFile.Public);
        AtomicFile.WriteAllText(Path.Combine(directory, RootCertFile), Pem.Write(TrustBundle.Roots), AtomicFile.Public);
    }

    /// <summary>Reads the files <see cref="WriteTo"/> writes.</summary>
    public static WorkloadCredentials ReadFrom(string directory)
    {
        var chainPath = Path.Combine(directory, CertChainFile);
        var keyPath = Path.Combine(directory, KeyFile);
        var rootPath = Path.Combine(directory, RootCertFile);
        foreach (var path in new[] { chainPath, keyPath, rootPath })
            if (!File.Exists(path)) throw new FileNotFoundException($"credential file {path} is missing", path);

        var chain = Pem.ReadCertificates(File.ReadAllText(chainPath));
        if (chain.Count == 0) throw new CryptographicException($"{chainPath} holds no certificate");
        var bundle = TrustBundle.FromPem(File.ReadAllText(rootPath));
        if (bundle.Roots.IsEmpty) throw new CryptographicException($"{rootPath} holds no certificate");
        using var key = Pem.ReadPrivateKey(File.ReadAllText(keyPath));
        return Assemble(key, chain, bundle);
    }

    /// <summary>Assembles credentials from the proxy's private key and a CA's PEM chain (leaf first, root last).</summary>
    public static WorkloadCredentials FromSignedChain(AsymmetricAlgorithm privateKey, IReadOnlyList<string> chainPem, TrustBundle trustBundle)
    {
        var chain = chainPem.SelectMany(Pem.ReadCertificates).ToList();
        if (chain.Count == 0) throw new CryptographicException("the CA returned an empty certificate chain");
        return Assemble(privateKey, chain, trustBundle);
    }

    /// <summary>
    /// Credentials from a leaf that already carries its private key (tests, the control plane's own
    /// serving certificate).
    /// </summary>
    public static WorkloadCredentials FromCertificate(X509Certificate2 leafWithKey, IEnumerable<X509Certificate2> intermediates, TrustBundle trustBundle)
    {
        if (!leafWithKey.HasPrivateKey) throw new ArgumentException("the leaf certificate has no private key", nameof(leafWithKey));
        return new WorkloadCredentials
        {
            Leaf = leafWithKey,
            Intermediates = [.. intermediates.Where(c => !CertificateIdentity.IsSelfIssued(c))],
            TrustBundle = trustBundle,
            Identity = IdentityOf(leafWithKey),
        };
    }

    private static WorkloadCredentials Assemble(AsymmetricAlgorithm privateKey, IReadOnlyList<X509Certificate2> chain, TrustBundle trustBundle)
    {
        X509Certificate2 leaf;
        try
        {
            leaf = Pem.WithPrivateKey(chain[0], privateKey);
        }
        catch (CryptographicException e)
        {
            throw new CryptographicException($"the certificate {CertificateIdentity.Describe(chain[0])} does not match the private key: {e.Message}", e);
        }
        // Roots (self-issued) are not sent in the chain: peers have them in their trust bundle.
        return FromCertificate(leaf, chain.Skip(1), trustBundle);
    }

    private static SpiffeId IdentityOf(X509Certificate2 leaf) =>
        CertificateIdentity.TryGetSpiffeId(leaf, out var id)
            ? id
            : throw new CryptographicException($"certificate {CertificateIdentity.Describe(leaf)} has no SPIFFE ID (spiffe://<trust-domain>/ns/<ns>/sa/<sa>) in its URI SANs");
}
