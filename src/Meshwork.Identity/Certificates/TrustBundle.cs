using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Identity;

/// <summary>
/// The set of roots a proxy accepts for mesh traffic. Never the OS trust store. May hold several
/// roots (root rotation, or a plugged-in CA replacing a self-signed one).
/// </summary>
public sealed class TrustBundle
{
    public ImmutableArray<X509Certificate2> Roots { get; }

    /// <summary>Roots in the given order; a root given twice (same thumbprint) is kept once.</summary>
    public TrustBundle(IEnumerable<X509Certificate2> roots) =>
        Roots = [.. roots.DistinctBy(r => r.Thumbprint, StringComparer.OrdinalIgnoreCase)];

    /// <summary>Reads roots from PEM strings; each string may hold several certificates.</summary>
    public static TrustBundle FromPem(IEnumerable<string> pems) => new(pems.SelectMany(Pem.ReadCertificates));

    /// <summary>Reads roots from one PEM text, such as the contents of root-cert.pem.</summary>
    public static TrustBundle FromPem(string pem) => new(Pem.ReadCertificates(pem));

    /// <summary>One PEM string per root.</summary>
    public ImmutableArray<string> ToPem() => [.. Roots.Select(r => r.ExportCertificatePem())];

    /// <summary>A bundle with this bundle's roots followed by <paramref name="other"/>'s.</summary>
    public TrustBundle Union(TrustBundle other) => new(Roots.Concat(other.Roots));

    public bool Contains(X509Certificate2 certificate) =>
        Roots.Any(r => string.Equals(r.Thumbprint, certificate.Thumbprint, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Builds a chain from <paramref name="leaf"/> through <paramref name="intermediates"/> to one of
    /// <see cref="Roots"/> with a custom trust store (no OS roots, no revocation, no downloads), at the
    /// given time. On failure <paramref name="error"/> says why, in words a user can act on.
    /// </summary>
    public bool Verify(X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, DateTimeOffset now, out string? error) =>
        Verify(leaf, intermediates, now, CertificateUse.Any, out error);

    /// <summary>
    /// As <see cref="Verify(X509Certificate2, IEnumerable{X509Certificate2}, DateTimeOffset, out string?)"/>, and the leaf
    /// must also be allowed the TLS role <paramref name="use"/> by its extended key usage. As in OpenSSL and
    /// BoringSSL, a leaf without any extended key usage is allowed every role.
    /// </summary>
    public bool Verify(X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, DateTimeOffset now, CertificateUse use, out string? error)
    {
        // Every mTLS handshake verifies the peer, and peers present the same chain for hours: remember
        // chains that verified. The outcome depends only on the certificates, this bundle's roots (fixed for
        // this instance) and the time, and the time only through validity periods, so a remembered success
        // stands for as long as "now" lies inside every period on the path.
        var intermediateList = intermediates as IReadOnlyList<X509Certificate2> ?? [.. intermediates];
        var key = VerifiedChainKey(leaf, intermediateList, use);
        if (_verified.TryGetValue(key, out var window) && now >= window.From && now <= window.Until)
        {
            error = null;
            return true;
        }
        if (!TryBuildChain(leaf, intermediateList, now, use, out var path, out error)) return false;

        if (_verified.Count >= MaxRememberedChains) _verified.Clear();
        var checkedCertificates = path.Concat(intermediateList).ToList();
        _verified[key] = new ValidityWindow(
            checkedCertificates.Max(c => new DateTimeOffset(c.NotBefore.ToUniversalTime())),
            checkedCertificates.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime())));
        return true;
    }

    private const int MaxRememberedChains = 4096;
    private readonly ConcurrentDictionary<string, ValidityWindow> _verified = new(StringComparer.Ordinal);

    private readonly record struct ValidityWindow(DateTimeOffset From, DateTimeOffset Until);

    private static string VerifiedChainKey(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, CertificateUse use)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var certificate in intermediates.Prepend(leaf))
        {
            // Length-prefixed, so that different splits of the same bytes never collide.
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(length, certificate.RawDataMemory.Length);
            hash.AppendData(length);
            hash.AppendData(certificate.RawDataMemory.Span);
        }
        length[0] = (byte)use;
        hash.AppendData(length[..1]);
        return Convert.ToBase64String(hash.GetHashAndReset());
    }

    /// <summary>
    /// As <see cref="Verify(X509Certificate2, IEnumerable{X509Certificate2}, DateTimeOffset, out string?)"/>, and on
    /// success returns the path found: <paramref name="leaf"/> first, the trusted root last.
    /// </summary>
    public bool TryBuildChain(X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, DateTimeOffset now,
        out IReadOnlyList<X509Certificate2> path, out string? error) =>
        TryBuildChain(leaf, intermediates, now, CertificateUse.Any, out path, out error);

    /// <summary>As the other overload, also requiring the leaf to be allowed <paramref name="use"/>.</summary>
    public bool TryBuildChain(X509Certificate2 leaf, IEnumerable<X509Certificate2> intermediates, DateTimeOffset now, CertificateUse use,
        out IReadOnlyList<X509Certificate2> path, out string? error)
    {
        path = [];
        error = null;
        if (Roots.IsEmpty)
        {
            error = "the trust bundle is empty: no root certificate to verify against";
            return false;
        }
        var intermediateList = intermediates.ToList();

        // Validity periods first: the most common failure, and X509Chain words it vaguely.
        foreach (var certificate in intermediateList.Prepend(leaf))
        {
            if (TimeError(certificate, certificate == leaf ? "certificate" : "intermediate CA certificate", now) is { } timeError)
            {
                error = timeError;
                return false;
            }
        }

        if (use != CertificateUse.Any && !AllowsUse(leaf, use))
        {
            error = $"certificate {CertificateIdentity.Describe(leaf)} may not be used for TLS {(use == CertificateUse.TlsClient ? "client" : "server")} authentication: " +
                    $"its extended key usage lacks {(use == CertificateUse.TlsClient ? "clientAuth" : "serverAuth")}; mesh certificates carry both";
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Roots.ToArray());
        chain.ChainPolicy.ExtraStore.AddRange(intermediateList.ToArray());
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (chain.Build(leaf))
        {
            // Hand back the caller's own instances: the chain's element objects die with the chain.
            var known = intermediateList.Prepend(leaf).Concat(Roots).ToList();
            path = [.. chain.ChainElements.Select(e =>
                known.FirstOrDefault(k => k.RawData.AsSpan().SequenceEqual(e.Certificate.RawData))
                ?? X509CertificateLoader.LoadCertificate(e.Certificate.RawData))];
            return true;
        }

        error = Explain(leaf, chain, now);
        return false;
    }

    /// <summary>Verifies a chain given as PEM strings, leaf first (a trailing root is allowed and ignored as an intermediate).</summary>
    public bool Verify(IReadOnlyList<X509Certificate2> chain, DateTimeOffset now, out string? error)
    {
        if (chain.Count == 0)
        {
            error = "the certificate chain is empty";
            return false;
        }
        return Verify(chain[0], chain.Skip(1), now, out error);
    }

    private static bool AllowsUse(X509Certificate2 leaf, CertificateUse use)
    {
        var eku = leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (eku is null) return true;
        var wanted = use == CertificateUse.TlsClient ? ClientAuthOid : ServerAuthOid;
        foreach (var oid in eku.EnhancedKeyUsages)
            if (oid.Value is { } value && (value == wanted || value == AnyExtendedKeyUsageOid)) return true;
        return false;
    }

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";

    private static string? TimeError(X509Certificate2 certificate, string what, DateTimeOffset now)
    {
        var notBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime());
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime());
        if (now > notAfter)
            return $"{what} {CertificateIdentity.Describe(certificate)} expired at {notAfter:u} (now {now.UtcDateTime:u}); it must be renewed";
        if (now < notBefore)
            return $"{what} {CertificateIdentity.Describe(certificate)} is not yet valid: valid from {notBefore:u}, now {now.UtcDateTime:u}; check the clocks of both hosts";
        return null;
    }

    private string Explain(X509Certificate2 leaf, X509Chain chain, DateTimeOffset now)
    {
        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        var last = chain.ChainElements.Count > 0 ? chain.ChainElements[^1].Certificate : leaf;

        if (flags.HasFlag(X509ChainStatusFlags.NotTimeValid))
        {
            foreach (var element in chain.ChainElements)
                if (TimeError(element.Certificate, "CA certificate", now) is { } timeError) return timeError;
        }
        if (flags.HasFlag(X509ChainStatusFlags.NotSignatureValid))
            return $"certificate {CertificateIdentity.Describe(leaf)} has a signature that does not verify against its issuer '{leaf.Issuer}': it was altered or signed by a different key with the same name";
        if (flags.HasFlag(X509ChainStatusFlags.UntrustedRoot) || flags.HasFlag(X509ChainStatusFlags.PartialChain))
        {
            var roots = string.Join(", ", Roots.Select(r => $"'{r.Subject}'"));
            return $"certificate {CertificateIdentity.Describe(leaf)} was not issued by a CA in the trust bundle " +
                   $"(chain ends at '{last.Issuer}'; trusted roots: {roots}): the peer belongs to another mesh, or the CA was replaced and the trust bundle not updated";
        }
        if (flags.HasFlag(X509ChainStatusFlags.InvalidBasicConstraints))
            return $"a certificate in the chain of {CertificateIdentity.Describe(leaf)} is used as a CA but is not one (BasicConstraints CA=false)";
        if (flags.HasFlag(X509ChainStatusFlags.NotValidForUsage) || flags.HasFlag(X509ChainStatusFlags.InvalidExtension))
            return $"a certificate in the chain of {CertificateIdentity.Describe(leaf)} has a key usage or extension that does not allow this use";
        var details = string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
        return $"certificate {CertificateIdentity.Describe(leaf)} does not chain to the trust bundle: {details}";
    }
}
