namespace Meshwork.Identity;

/// <summary>Key types Meshwork creates for workloads and roots.</summary>
public enum KeyAlgorithm
{
    /// <summary>ECDSA on NIST P-256 with SHA-256: small and fast; Meshwork's default.</summary>
    EcdsaP256,

    /// <summary>RSA 2048 with PKCS#1 v1.5 and SHA-256: Istio's default workload key.</summary>
    Rsa2048,
}
