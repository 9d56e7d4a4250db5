using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.CertificateAuthority;
using Meshwork.ControlPlane.Tests.ConfigApi;
using Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;
using Meshwork.Identity;
using Microsoft.Extensions.DependencyInjection;
using SigningAuthority = Meshwork.CertificateAuthority.CertificateAuthority;

namespace Meshwork.ControlPlane.Tests.Ca;

/// <summary>
/// Seed 002, exercise 8, with the real kubectl: istiod is a Deployment in istio-system, and
/// <c>kubectl rollout restart deployment/istiod</c> after <c>kubectl create secret generic cacerts</c> makes the
/// control plane sign with the plugged-in CA; a secret it cannot use refuses the restart and the old CA keeps signing.
/// </summary>
public sealed class IstiodRestartTests : IAsyncLifetime
{
    private ControlPlaneFixture _cp = null!;
    private string _home = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _cp = await ControlPlaneFixture.StartAsync();
        _home = Directory.CreateTempSubdirectory("meshwork-istiod-").FullName;
        _kubectl = new KubectlRunner(_cp.State.KubeconfigFile, _home);
    }

    public async Task DisposeAsync()
    {
        await _cp.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private SigningAuthority SigningCa => _cp.Running.Services.GetRequiredService<SigningAuthority>();

    /// <summary>The Issuer of a certificate the control plane signs now.</summary>
    private string IssuerOfANewCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var csr = new CertificateRequest("CN=ignored", key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        var chain = SigningCa.Sign(csr, new SpiffeId("cluster.local", "mtls-test", "httpbin"));
        return X509Certificate2.CreateFromPem(chain[0]).Issuer;
    }

    /// <summary>The four cacerts files of Istio's plug-in CA task: an intermediate "CN=Intermediate CA" under a new root.</summary>
    private string CustomCa(bool keyOfAnotherCertificate = false)
    {
        var now = DateTimeOffset.UtcNow;
        using var root = CaCertificateMaker.CreateRoot(new X500DistinguishedName("O=Istio, CN=Root CA"), KeyAlgorithm.EcdsaP256, now, TimeSpan.FromDays(30));
        using var intermediate = CaCertificateMaker.CreateIntermediate(root, new X500DistinguishedName("O=Istio, CN=Intermediate CA, L=cluster1"), KeyAlgorithm.EcdsaP256, now, TimeSpan.FromDays(10));
        var directory = Directory.CreateDirectory(Path.Combine(_home, "ca")).FullName;
        File.WriteAllText(Path.Combine(directory, "ca-cert.pem"), Pem.Write([intermediate]));
        using (var key = Pem.GetPrivateKey(keyOfAnotherCertificate ? root : intermediate)) File.WriteAllText(Path.Combine(directory, "ca-key.pem"), Pem.WritePrivateKey(key));
        File.WriteAllText(Path.Combine(directory, "root-cert.pem"), Pem.Write([root]));
        File.WriteAllText(Path.Combine(directory, "cert-chain.pem"), Pem.Write([intermediate, root]));
        return directory;
    }

    private Task<string> CreateCacertsAsync(string directory, params string[] files) =>
        _kubectl.SucceedAsync(["create", "secret", "generic", "cacerts", "-n", "istio-system", .. files.Select(f => $"--from-file={Path.Combine(directory, f)}")]);

    [Fact]
    public async Task Istiod_is_a_ready_deployment_of_istio_system()
    {
        var rows = (await _kubectl.SucceedAsync("get", "deploy", "-n", "istio-system", "--no-headers")).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        var istiod = Assert.Single(rows, r => r.StartsWith("istiod ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["istiod", "1/1", "1", "1"], istiod[..4]);
    }

    [Fact]
    public async Task Rollout_restart_after_the_cacerts_secret_signs_with_the_plugged_in_CA_and_keeps_trusting_the_old_root()
    {
        var oldRoot = SigningCa.Root;
        Assert.DoesNotContain("Intermediate CA", IssuerOfANewCertificate());
        var ca = CustomCa();
        Assert.Equal("secret/cacerts created", (await CreateCacertsAsync(ca, "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")).Trim());

        Assert.Equal("deployment.apps/istiod restarted", (await _kubectl.SucceedAsync("rollout", "restart", "deployment/istiod", "-n", "istio-system")).Trim());

        Assert.Contains("CN=Intermediate CA", IssuerOfANewCertificate());
        var roots = Pem.ReadCertificates(File.ReadAllText(_cp.State.RootCertFile));
        Assert.Contains(roots, r => r.Subject.Contains("CN=Root CA", StringComparison.Ordinal));
        Assert.Contains(roots, r => r.RawData.AsSpan().SequenceEqual(oldRoot.RawData));
        var restartedAt = await _kubectl.SucceedAsync("get", "deploy", "istiod", "-n", "istio-system", "-o", "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}");
        Assert.NotEqual("", restartedAt.Trim());
    }

    [Fact]
    public async Task An_incomplete_cacerts_secret_refuses_the_restart_and_the_old_CA_keeps_signing()
    {
        var issuer = IssuerOfANewCertificate();
        await CreateCacertsAsync(CustomCa(), "ca-cert.pem", "root-cert.pem", "cert-chain.pem");

        var refused = await _kubectl.RunAsync("rollout", "restart", "deployment/istiod", "-n", "istio-system");

        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Contains("secret istio-system/cacerts lacks ca-key.pem", refused.Stderr);
        Assert.Contains("the current CA keeps signing", refused.Stderr);
        Assert.Equal(issuer, IssuerOfANewCertificate());
        var restartedAt = await _kubectl.SucceedAsync("get", "deploy", "istiod", "-n", "istio-system", "-o", "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}");
        Assert.Equal("", restartedAt.Trim());
    }

    [Fact]
    public async Task A_cacerts_key_of_another_certificate_refuses_the_restart_and_the_old_CA_keeps_signing()
    {
        var issuer = IssuerOfANewCertificate();
        await CreateCacertsAsync(CustomCa(keyOfAnotherCertificate: true), "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem");

        var refused = await _kubectl.RunAsync("rollout", "restart", "deployment/istiod", "-n", "istio-system");

        Assert.True(refused.ExitCode != 0, refused.ToString());
        Assert.Contains("ca-key.pem does not match ca-cert.pem", refused.Stderr);
        Assert.Equal(issuer, IssuerOfANewCertificate());
        // Fixing the secret lets the next restart through.
        await _kubectl.SucceedAsync("delete", "secret", "cacerts", "-n", "istio-system");
        await CreateCacertsAsync(CustomCa(), "ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem");
        await _kubectl.SucceedAsync("rollout", "restart", "deployment/istiod", "-n", "istio-system");
        Assert.Contains("CN=Intermediate CA", IssuerOfANewCertificate());
    }
}
