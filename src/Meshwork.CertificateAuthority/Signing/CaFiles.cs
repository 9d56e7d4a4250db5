namespace Meshwork.CertificateAuthority;

/// <summary>Istio's cacerts file names, used for both a plugged-in CA and the self-signed one Meshwork creates.</summary>
public static class CaFiles
{
    /// <summary>The signing certificate (an intermediate, or the root itself when self-signed).</summary>
    public const string CaCert = "ca-cert.pem";

    /// <summary>The signing certificate's private key (mode 0600).</summary>
    public const string CaKey = "ca-key.pem";

    /// <summary>The trust anchor(s) handed to every workload.</summary>
    public const string RootCert = "root-cert.pem";

    /// <summary>Certificates between an issued leaf and the root: ca-cert.pem, further intermediates, usually the root.</summary>
    public const string CertChain = "cert-chain.pem";

    /// <summary>kubernetes.io/tls layout: the signing certificate, optionally followed by its chain.</summary>
    public const string TlsCert = "tls.crt";

    /// <summary>kubernetes.io/tls layout: the signing certificate's key.</summary>
    public const string TlsKey = "tls.key";

    /// <summary>kubernetes.io/tls layout: the root(s).</summary>
    public const string TlsRoot = "ca.crt";

    /// <summary>Where the self-signed CA lives inside the control plane's state directory.</summary>
    public static string SelfSignedDirectory(string stateDirectory) => Path.Combine(stateDirectory, "ca");
}
