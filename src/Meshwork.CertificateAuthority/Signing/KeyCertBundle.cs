using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;

namespace Meshwork.CertificateAuthority;

/// <summary>
/// The signing certificate with its key, the path from it to the trusted root, and the trust bundle:
/// everything the CA needs to sign, checked once as a whole when it is loaded.
/// </summary>
public sealed class KeyCertBundle
{
    /// <summary>The certificate that signs workload certificates, with its private key.</summary>
    public X509Certificate2 SigningCertificate { get; }

    /// <summary>The path above an issued leaf: signing certificate, further intermediates, and the root last.</summary>
    public ImmutableArray<X509Certificate2> ChainToRoot { get; }

    /// <summary>All roots from root-cert.pem.</summary>
    public TrustBundle TrustBundle { get; }

    /// <summary>The earliest NotAfter on the path: no issued certificate may outlive it.</summary>
    public DateTimeOffset NotAfter { get; }

    /// <summary>True when the signing certificate is itself a root (the self-signed case).</summary>
    public bool IsSelfSigned => ChainToRoot.Length == 1;

    private KeyCertBundle(X509Certificate2 signing, ImmutableArray<X509Certificate2> chainToRoot, TrustBundle trustBundle)
    {
        SigningCertificate = signing;
        ChainToRoot = chainToRoot;
        TrustBundle = trustBundle;
        NotAfter = chainToRoot.Min(c => new DateTimeOffset(c.NotAfter.ToUniversalTime()));
    }

    /// <summary>
    /// Loads and checks Istio's cacerts files from <paramref name="directory"/> (ca-cert.pem, ca-key.pem,
    /// root-cert.pem, cert-chain.pem), or the kubernetes.io/tls layout Istio also accepts (tls.crt with the
    /// signing certificate first and its chain after it, tls.key, ca.crt). Refuses, with a message naming the
    /// file and the fix: missing files, a key that does not match the signing certificate, a signing
    /// certificate that is not a CA or is outside its validity period, and a chain that does not reach the root.
    /// </summary>
    public static KeyCertBundle Load(string directory, DateTimeOffset now)
    {
        string PathOf(string file) => Path.Combine(directory, file);
        var tlsLayout = !File.Exists(PathOf(CaFiles.CaCert)) && File.Exists(PathOf(CaFiles.TlsCert));
        var (certFile, keyFile, rootFile) = tlsLayout
            ? (CaFiles.TlsCert, CaFiles.TlsKey, CaFiles.TlsRoot)
            : (CaFiles.CaCert, CaFiles.CaKey, CaFiles.RootCert);
        var missing = new[] { certFile, keyFile, rootFile }.Where(f => !File.Exists(PathOf(f))).ToList();
        if (missing.Count > 0)
            throw Bad($"the CA directory {directory} is incomplete: missing {string.Join(", ", missing)} " +
                      $"(a CA needs {certFile}, {keyFile}, {rootFile}{(tlsLayout ? "" : $" and usually {CaFiles.CertChain}")})");

        var certificates = ReadCertificates(PathOf(certFile));
        var caCert = certificates[0];
        var roots = ReadCertificates(PathOf(rootFile));
        var chainFile = PathOf(CaFiles.CertChain);
        IReadOnlyList<X509Certificate2> chain = tlsLayout ? certificates.Skip(1).ToList()
            : File.Exists(chainFile) ? Pem.ReadCertificates(File.ReadAllText(chainFile)) : [];

        AsymmetricAlgorithm key;
        try
        {
            key = Pem.ReadPrivateKey(File.ReadAllText(PathOf(keyFile)));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw Bad($"{keyFile} in {directory} is not a usable private key: {e.Message}", e);
        }

        X509Certificate2 signing;
        using (key)
        {
            try
            {
                signing = Pem.WithPrivateKey(caCert, key);
            }
            catch (CryptographicException e)
            {
                throw Bad($"{keyFile} does not match {certFile} in {directory}: the key belongs to another certificate. " +
                          $"Put the signing certificate's own key in {keyFile}", e);
            }
        }
        return Create(signing, chain, roots, now, directory, certFile, rootFile);
    }

    /// <summary>Checks and assembles a bundle from certificates already in memory.</summary>
    public static KeyCertBundle Create(X509Certificate2 signingWithKey, IEnumerable<X509Certificate2> certChain, IReadOnlyList<X509Certificate2> roots, DateTimeOffset now,
        string source = "the CA configuration", string signingFile = CaFiles.CaCert, string rootFile = CaFiles.RootCert)
    {
        var subject = $"'{signingWithKey.Subject}'";
        if (!signingWithKey.HasPrivateKey)
            throw Bad($"the signing certificate {subject} in {source} has no private key");
        if (!CertificateIdentity.IsCertificateAuthority(signingWithKey))
            throw Bad($"{signingFile} in {source} ({subject}) is not a CA certificate (BasicConstraints CA=true is missing): " +
                      "it cannot sign workload certificates. Use an intermediate CA certificate, as Istio's plug-in CA task makes");
        var usage = signingWithKey.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        if (usage is not null && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
            throw Bad($"{signingFile} in {source} ({subject}) has a KeyUsage without keyCertSign: it may not sign certificates");
        if (now > signingWithKey.NotAfter.ToUniversalTime())
            throw Bad($"{signingFile} in {source} ({subject}) expired at {signingWithKey.NotAfter.ToUniversalTime():u}: install a new signing certificate");
        if (now < signingWithKey.NotBefore.ToUniversalTime())
            throw Bad($"{signingFile} in {source} ({subject}) is not valid until {signingWithKey.NotBefore.ToUniversalTime():u}: check this host's clock");
        if (roots.Count == 0)
            throw Bad($"{rootFile} in {source} holds no certificate");

        var bundle = new TrustBundle(roots);
        // A self-signed signing certificate that is itself a trust anchor is its own whole chain. (Building one
        // could wander to an older root with the same name and key after a rotation.)
        if (CertificateIdentity.IsSelfIssued(signingWithKey) && bundle.Contains(signingWithKey))
            return new KeyCertBundle(signingWithKey, [signingWithKey], bundle);

        // cert-chain.pem usually repeats ca-cert.pem and the root; the chain builder only needs what lies between.
        var between = certChain.Where(c => !c.RawData.AsSpan().SequenceEqual(signingWithKey.RawData) && !bundle.Contains(c)).ToList();
        if (!bundle.TryBuildChain(signingWithKey, between, now, out var path, out var error))
            throw Bad($"{signingFile} in {source} does not chain to {rootFile}: {error}. " +
                      $"Check that {rootFile} is the root that issued it and that {CaFiles.CertChain} holds any intermediates in between");

        // The path starts with a copy of the signing certificate without its key; keep the keyed one.
        return new KeyCertBundle(signingWithKey, [signingWithKey, .. path.Skip(1)], bundle);
    }

    /// <summary>Writes the bundle in Istio's layout: ca-key.pem (0600) first, so a half-written directory never holds a cert without its key.</summary>
    public void WriteTo(string directory)
    {
        using var key = Pem.GetPrivateKey(SigningCertificate);
        AtomicFile.WriteAllText(Path.Combine(directory, CaFiles.CaKey), Pem.WritePrivateKey(key), AtomicFile.Private);
        AtomicFile.WriteAllText(Path.Combine(directory, CaFiles.CaCert), SigningCertificate.ExportCertificatePem() + "\n", AtomicFile.Public);
        // Self-signed: Istio leaves cert-chain.pem empty, since the root is the signer.
        AtomicFile.WriteAllText(Path.Combine(directory, CaFiles.CertChain), IsSelfSigned ? "" : Pem.Write(ChainToRoot), AtomicFile.Public);
        AtomicFile.WriteAllText(Path.Combine(directory, CaFiles.RootCert), Pem.Write(TrustBundle.Roots), AtomicFile.Public);
    }

    private static List<X509Certificate2> ReadCertificates(string path)
    {
        List<X509Certificate2> certificates;
        try
        {
            certificates = [.. Pem.ReadCertificates(File.ReadAllText(path))];
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            throw Bad($"{path} is not valid PEM: {e.Message}", e);
        }
        if (certificates.Count == 0) throw Bad($"{path} holds no PEM certificate");
        return certificates;
    }

    private static CaException Bad(string message, Exception? inner = null) => new(CaErrorKind.BadCaConfiguration, message, inner);
}
