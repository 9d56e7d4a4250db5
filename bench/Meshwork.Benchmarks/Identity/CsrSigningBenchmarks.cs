using BenchmarkDotNet.Attributes;
using Meshwork.CertificateAuthority;
using Meshwork.Identity;
using Ca = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.Benchmarks.Identity;

/// <summary>
/// The CA's hot path: verify a CSR's signature, build the workload certificate and sign it, with the
/// root and the workload key of the same type. One operation is one issued certificate (chain as PEM).
/// </summary>
[MemoryDiagnoser]
public class CsrSigningBenchmarks
{
    private readonly SpiffeId _identity = new("cluster.local", "foo", "sleep");
    private string _stateDirectory = "";
    private Ca _ca = null!;
    private string _csr = "";

    [Params(KeyAlgorithm.EcdsaP256, KeyAlgorithm.Rsa2048)]
    public KeyAlgorithm Algorithm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _stateDirectory = Directory.CreateTempSubdirectory("meshwork-bench-").FullName;
        _ca = Ca.LoadOrCreateSelfSigned(_stateDirectory, new CaOptions { RootKeyAlgorithm = Algorithm });
        (_, _csr) = CsrFactory.Create(_identity, Algorithm);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_stateDirectory, recursive: true);

    [Benchmark(Description = "CA: sign one CSR")]
    public int SignCsr() => _ca.Sign(_csr, _identity).Length;

    [Benchmark(Description = "Proxy: new key + CSR")]
    public int CreateKeyAndCsr()
    {
        var (key, csr) = CsrFactory.Create(_identity, Algorithm);
        key.Dispose();
        return csr.Length;
    }
}

/// <summary>The proxy's per-handshake check: a peer's leaf and intermediate against the trust bundle.</summary>
[MemoryDiagnoser]
public class ChainVerificationBenchmarks
{
    private TrustBundle _bundle = null!;
    private WorkloadCredentials _peer = null!;
    private DateTimeOffset _now;

    [GlobalSetup]
    public void Setup()
    {
        var stateDirectory = Directory.CreateTempSubdirectory("meshwork-bench-").FullName;
        try
        {
            var ca = Ca.LoadOrCreateSelfSigned(stateDirectory, new CaOptions());
            var identity = new SpiffeId("cluster.local", "foo", "httpbin");
            var (key, csr) = CsrFactory.Create(identity);
            _peer = WorkloadCredentials.FromSignedChain(key, ca.Sign(csr, identity), ca.TrustBundle);
            _bundle = ca.TrustBundle;
            _now = DateTimeOffset.UtcNow;
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    /// <summary>A peer chain seen before (the common case: a peer presents the same chain for hours).</summary>
    [Benchmark(Description = "Proxy: verify known peer chain")]
    public bool VerifyKnown() => _bundle.Verify(_peer.Leaf, _peer.Intermediates, _now, CertificateUse.TlsClient, out _);

    /// <summary>A peer chain never seen by this bundle: a full X509Chain build.</summary>
    [Benchmark(Description = "Proxy: verify new peer chain")]
    public bool VerifyNew() => new TrustBundle(_bundle.Roots).Verify(_peer.Leaf, _peer.Intermediates, _now, CertificateUse.TlsClient, out _);
}
