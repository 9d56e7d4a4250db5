using System.Collections.Immutable;
using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;

namespace Meshwork.CertificateAuthority;

/// <summary>
/// The certificate authority core: signs CSRs for exactly one SPIFFE identity. Knows nothing about
/// the network or about who the caller is: the caller passes the identity it authenticated.
/// </summary>
public sealed class CertificateAuthority
{
    /// <summary>Istio's clock-skew grace: certificates are valid from two minutes before they are issued.</summary>
    public static readonly TimeSpan ClockSkewGrace = TimeSpan.FromMinutes(2);

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1", "TLS Web Server Authentication");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "TLS Web Client Authentication");

    private readonly CaOptions _options;
    private readonly Lock _rotationLock = new();

    // Everything signing needs, swapped whole when the self-signed root is rotated or another CA is adopted; Sign reads it once.
    private volatile SigningState _state;

    /// <param name="SelfSignedDirectory">Where a self-signed root lives (and is rotated); null for a plugged-in CA, which its operator owns.</param>
    private sealed record SigningState(KeyCertBundle Bundle, X509SignatureGenerator Generator, HashAlgorithmName Hash, X509Extension AuthorityKeyId, string? SelfSignedDirectory)
    {
        public static SigningState For(KeyCertBundle bundle, string? selfSignedDirectory)
        {
            var signing = bundle.SigningCertificate;
            var authorityKeyId = X509AuthorityKeyIdentifierExtension.CreateFromCertificate(signing, includeKeyIdentifier: true, includeIssuerAndSerial: false);
            if (signing.GetECDsaPrivateKey() is { } ec)
            {
                var hash = ec.KeySize switch { > 384 => HashAlgorithmName.SHA512, > 256 => HashAlgorithmName.SHA384, _ => HashAlgorithmName.SHA256 };
                return new SigningState(bundle, X509SignatureGenerator.CreateForECDsa(ec), hash, authorityKeyId, selfSignedDirectory);
            }
            return new SigningState(bundle, X509SignatureGenerator.CreateForRSA(signing.GetRSAPrivateKey()!, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256, authorityKeyId, selfSignedDirectory);
        }
    }

    private CertificateAuthority(KeyCertBundle bundle, CaOptions options, string? selfSignedDirectory = null)
    {
        _options = options;
        _state = SigningState.For(bundle, selfSignedDirectory);
    }

    /// <summary>Raised after the trust bundle changed (self-signed root rotation, another CA adopted), so the control plane can push it.</summary>
    public event EventHandler<TrustBundle>? TrustBundleChanged;

    /// <summary>Loads the CA from <paramref name="stateDirectory"/>/ca, creating a self-signed 10-year root on first start.</summary>
    public static CertificateAuthority LoadOrCreateSelfSigned(string stateDirectory, CaOptions options)
    {
        options.Validate();
        var directory = CaFiles.SelfSignedDirectory(stateDirectory);
        var present = new[] { CaFiles.CaCert, CaFiles.CaKey, CaFiles.RootCert }.Where(f => File.Exists(Path.Combine(directory, f))).ToList();
        if (present.Count > 0)
            return new CertificateAuthority(KeyCertBundle.Load(directory, options.Time.GetUtcNow()), options, directory);

        Directory.CreateDirectory(directory);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var root = CreateRoot(options);
        var bundle = KeyCertBundle.Create(root, [], [root], options.Time.GetUtcNow(), directory);
        bundle.WriteTo(directory);
        return new CertificateAuthority(bundle, options, directory);
    }

    /// <summary>Loads a plugged-in CA from Istio's cacerts files (ca-cert.pem, ca-key.pem, root-cert.pem, cert-chain.pem). Throws BadCaConfiguration.</summary>
    public static CertificateAuthority LoadPluggedIn(string cacertsDirectory, CaOptions options)
    {
        options.Validate();
        if (!Directory.Exists(cacertsDirectory))
            throw new CaException(CaErrorKind.BadCaConfiguration, $"the plugged-in CA directory {cacertsDirectory} does not exist");
        return new CertificateAuthority(KeyCertBundle.Load(cacertsDirectory, options.Time.GetUtcNow()), options);
    }

    /// <summary>A CA over a bundle already in memory (tests, tools).</summary>
    public static CertificateAuthority FromBundle(KeyCertBundle bundle, CaOptions options)
    {
        options.Validate();
        return new CertificateAuthority(bundle, options);
    }

    public TrustBundle TrustBundle => _state.Bundle.TrustBundle;

    public string TrustDomain => _options.TrustDomain;

    /// <summary>The certificate that signs workload certificates.</summary>
    public X509Certificate2 SigningCertificate => _state.Bundle.SigningCertificate;

    /// <summary>The root that the signing certificate chains to.</summary>
    public X509Certificate2 Root => _state.Bundle.ChainToRoot[^1];

    /// <summary>True when the CA signs with its own self-signed root rather than a plugged-in intermediate.</summary>
    public bool IsSelfSigned => _state.Bundle.IsSelfSigned;

    /// <summary>Signs <paramref name="csrPem"/> for <paramref name="identity"/> only. Returns PEMs, leaf first, root last.</summary>
    /// <remarks>
    /// Only the CSR's public key is used, after its signature has been verified: its subject and SANs
    /// are ignored, and the certificate names <paramref name="identity"/> alone.
    /// A <paramref name="ttl"/> of null or ≤ 0 means <see cref="CaOptions.DefaultTtl"/>; above
    /// <see cref="CaOptions.MaxTtl"/> is refused; the lifetime is cut short only by the CA's own expiry.
    /// </remarks>
    public ImmutableArray<string> Sign(string csrPem, SpiffeId identity, TimeSpan? ttl = null)
    {
        CheckIdentity(identity);
        var lifetime = ttl is { } requested && requested > TimeSpan.Zero ? requested : _options.DefaultTtl;
        if (lifetime > _options.MaxTtl)
            throw new CaException(CaErrorKind.TtlTooLong,
                $"requested certificate TTL {Describe(lifetime)} is longer than the maximum {Describe(_options.MaxTtl)}; ask for at most {Describe(_options.MaxTtl)}");

        var state = _state;
        var publicKey = ReadCsr(csrPem, state.Hash);
        var leaf = Issue(state, publicKey, SubjectAltNames.Build([identity.Uri]), lifetime);
        return [leaf.ExportCertificatePem(), .. state.Bundle.ChainToRoot.Select(c => c.ExportCertificatePem())];
    }

    /// <summary>Issues a serving certificate for the control plane itself (DNS/IP SANs plus its SPIFFE ID).</summary>
    public WorkloadCredentials IssueServingCertificate(SpiffeId identity, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses) =>
        IssueServingCertificate(identity, dnsNames, addresses, _options.ServingCertificateTtl);

    /// <summary>As the other overload, with an explicit lifetime (still cut at the CA's own expiry).</summary>
    public WorkloadCredentials IssueServingCertificate(SpiffeId identity, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses, TimeSpan lifetime)
    {
        CheckIdentity(identity);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        var state = _state;
        var leaf = Issue(state, request.PublicKey, SubjectAltNames.Build([identity.Uri], dnsNames, addresses), lifetime);
        return WorkloadCredentials.FromCertificate(leaf.CopyWithPrivateKey(key), state.Bundle.ChainToRoot, state.Bundle.TrustBundle);
    }

    /// <summary>
    /// Istio's self-signed root rotation: when less than <see cref="CaOptions.RootRotationThreshold"/> of the
    /// root's lifetime remains, re-issue the root with the same key and subject and a fresh validity period.
    /// Certificates issued under the old root keep verifying (same issuer name and key), and the old root stays in
    /// the trust bundle until it expires, so peers that only know it accept new certificates too. Files are
    /// rewritten, then the signing state is swapped whole. A plugged-in CA is never rotated here: its operator owns it.
    /// </summary>
    /// <returns>True when the root was rotated.</returns>
    public bool RotateSelfSignedRootIfDue()
    {
        KeyCertBundle rotated;
        lock (_rotationLock)
        {
            if (_state.SelfSignedDirectory is not { } directory) return false;
            var current = _state.Bundle;
            var root = current.SigningCertificate;
            var now = _options.Time.GetUtcNow();
            var notBefore = new DateTimeOffset(root.NotBefore.ToUniversalTime());
            var notAfter = new DateTimeOffset(root.NotAfter.ToUniversalTime());
            if (notAfter - now > (notAfter - notBefore) * _options.RootRotationThreshold) return false;

            var renewed = ReissueRoot(root, now, _options);
            var roots = current.TrustBundle.Roots.Where(r => r.NotAfter.ToUniversalTime() > now.UtcDateTime).Prepend(renewed).ToList();
            rotated = KeyCertBundle.Create(renewed, [], roots, now, directory);
            rotated.WriteTo(directory);
            _state = SigningState.For(rotated, directory);
        }
        TrustBundleChanged?.Invoke(this, rotated.TrustBundle);
        return true;
    }

    /// <summary>
    /// Signs from now on as <paramref name="loaded"/> does (its keys, chain, trust bundle and rotation), as a
    /// restarted istiod signs with the CA it loaded: whoever holds this instance keeps holding it, and
    /// certificates already issued stay valid for as long as the new trust bundle carries their root.
    /// </summary>
    /// <returns>True when the trust bundle changed (then <see cref="TrustBundleChanged"/> was raised).</returns>
    public bool Adopt(CertificateAuthority loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        if (!string.Equals(loaded.TrustDomain, TrustDomain, StringComparison.Ordinal))
            throw new CaException(CaErrorKind.BadCaConfiguration, $"a CA of trust domain '{loaded.TrustDomain}' cannot replace one of '{TrustDomain}'");
        bool changed;
        lock (_rotationLock)
        {
            changed = !SameRoots(_state.Bundle.TrustBundle, loaded._state.Bundle.TrustBundle);
            _state = loaded._state;
        }
        if (changed) TrustBundleChanged?.Invoke(this, loaded.TrustBundle);
        return changed;
    }

    private static bool SameRoots(TrustBundle a, TrustBundle b) =>
        a.Roots.Length == b.Roots.Length && a.Roots.Zip(b.Roots).All(p => p.First.RawData.AsSpan().SequenceEqual(p.Second.RawData));

    private static X509Certificate2 ReissueRoot(X509Certificate2 root, DateTimeOffset now, CaOptions options)
    {
        using var key = Pem.GetPrivateKey(root);
        var request = key switch
        {
            RSA rsa => new CertificateRequest(root.SubjectName, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => new CertificateRequest(root.SubjectName, (ECDsa)key, HashAlgorithmName.SHA256),
        };
        foreach (var extension in root.Extensions) request.CertificateExtensions.Add(extension);
        var generator = key is RSA r ? X509SignatureGenerator.CreateForRSA(r, RSASignaturePadding.Pkcs1) : X509SignatureGenerator.CreateForECDsa((ECDsa)key);
        var renewed = request.Create(root.SubjectName, generator, now - ClockSkewGrace, now + options.RootTtl, NewSerialNumber());
        return Pem.WithPrivateKey(renewed, key);
    }

    /// <summary>The control plane's own identity in this trust domain, as Istio names istiod.</summary>
    public SpiffeId ControlPlaneIdentity => new(_options.TrustDomain, "istio-system", "istiod");

    private X509Certificate2 Issue(SigningState state, PublicKey subjectKey, X509Extension subjectAltNames, TimeSpan lifetime)
    {
        var bundle = state.Bundle;
        var now = _options.Time.GetUtcNow();
        if (now >= bundle.NotAfter)
            throw new CaException(CaErrorKind.CaNotReady,
                $"the CA's certificate chain expired at {bundle.NotAfter:u}: install a new signing certificate (ca-cert.pem) and restart the control plane");

        var notBefore = now - ClockSkewGrace;
        var notAfter = now + lifetime;
        if (notAfter > bundle.NotAfter) notAfter = bundle.NotAfter;

        // Empty subject, identity in the SAN only (critical for that reason), as istiod issues them.
        var request = new CertificateRequest(new X500DistinguishedName(""), subjectKey, state.Hash);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth, ClientAuth], critical: false));
        request.CertificateExtensions.Add(subjectAltNames);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(subjectKey, critical: false));
        request.CertificateExtensions.Add(state.AuthorityKeyId);
        return request.Create(bundle.SigningCertificate.SubjectName, state.Generator, notBefore, notAfter, NewSerialNumber());
    }

    /// <summary>A CSR with a 4096-bit RSA key and a few SANs is about 2 KB; anything far larger is not a CSR we sign.</summary>
    public const int MaxCsrLength = 64 * 1024;

    private static PublicKey ReadCsr(string csrPem, HashAlgorithmName hash)
    {
        if (csrPem.Length > MaxCsrLength)
            throw new CaException(CaErrorKind.BadCsr, $"the CSR is {csrPem.Length} characters long; at most {MaxCsrLength} are accepted");
        CertificateRequest csr;
        try
        {
            // Default load options verify the CSR's self-signature: proof that the caller holds the private key.
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, hash, CertificateRequestLoadOptions.Default);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw new CaException(CaErrorKind.BadCsr, $"the CSR is not a valid PEM PKCS#10 request with a verifying signature: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            // A key algorithm whose signature .NET cannot check (Ed25519, say): no key type this CA signs either.
            throw new CaException(CaErrorKind.BadCsr, $"the CSR's key type is not supported ({e.Message}); use ECDSA P-256 or RSA 2048+", e);
        }

        var key = csr.PublicKey;
        // Judge the key from its encoding: cheaper than importing it, and the signature check above already parsed it.
        switch (key.Oid.Value)
        {
            case RsaOid:
                var bits = RsaModulusBits(key);
                return bits >= 2048 ? key : throw new CaException(CaErrorKind.BadCsr, $"the CSR's RSA key has {bits} bits; at least 2048 are required");
            case EcOid:
                string curve;
                try
                {
                    curve = new AsnReader(key.EncodedParameters?.RawData ?? [], AsnEncodingRules.DER).ReadObjectIdentifier();
                }
                catch (AsnContentException)
                {
                    throw new CaException(CaErrorKind.BadCsr, "the CSR's ECDSA key does not name its curve; use P-256, P-384 or P-521");
                }
                return curve is P256Oid or P384Oid or P521Oid ? key
                    : throw new CaException(CaErrorKind.BadCsr, $"the CSR's ECDSA curve {curve} is not supported; use P-256, P-384 or P-521");
            default:
                throw new CaException(CaErrorKind.BadCsr, $"the CSR's key type ({key.Oid.FriendlyName ?? key.Oid.Value}) is not supported; use ECDSA P-256 or RSA 2048+");
        }
    }

    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";
    private const string P256Oid = "1.2.840.10045.3.1.7";
    private const string P384Oid = "1.3.132.0.34";
    private const string P521Oid = "1.3.132.0.35";

    private static int RsaModulusBits(PublicKey key)
    {
        // RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 §A.1.1)
        var modulus = new AsnReader(key.EncodedKeyValue.RawData, AsnEncodingRules.DER).ReadSequence().ReadIntegerBytes().Span;
        while (modulus.Length > 0 && modulus[0] == 0) modulus = modulus[1..];
        return modulus.IsEmpty ? 0 : (modulus.Length - 1) * 8 + (32 - System.Numerics.BitOperations.LeadingZeroCount(modulus[0]));
    }

    private void CheckIdentity(SpiffeId identity)
    {
        if (!string.Equals(identity.TrustDomain, _options.TrustDomain, StringComparison.Ordinal))
            throw new CaException(CaErrorKind.IdentityNotAllowed,
                $"this CA issues identities in trust domain '{_options.TrustDomain}', not {identity.Uri}");
        if (!SpiffeId.TryParse(identity.Uri, out var parsed) || parsed != identity)
            throw new CaException(CaErrorKind.IdentityNotAllowed, $"'{identity.Uri}' is not a well-formed SPIFFE ID");
    }

    private static byte[] NewSerialNumber() => CaCertificateMaker.NewSerialNumber();

    private static X509Certificate2 CreateRoot(CaOptions options) =>
        CaCertificateMaker.CreateRoot(new X500DistinguishedName($"O={options.TrustDomain}"), options.RootKeyAlgorithm, options.Time.GetUtcNow(), options.RootTtl);

    private static string Describe(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays == Math.Floor(span.TotalDays) ? $"{span.TotalDays:0}d"
        : span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0}h"
        : $"{span.TotalSeconds:0}s";
}
