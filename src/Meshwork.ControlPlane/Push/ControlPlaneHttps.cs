using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Identity;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Meshwork.ControlPlane.Push;

/// <summary>
/// The TLS of the control-plane port, in one place for the host and the push benchmark: the serving
/// certificate, a client certificate asked for but not required, and any chain accepted at the handshake
/// (the endpoints that need an identity verify the certificate against the trust bundle themselves, where
/// a refusal can be explained, and a proxy with an expired certificate can still enroll with a token).
/// </summary>
public static class ControlPlaneHttps
{
    /// <summary>Kestrel's options for the port; <paramref name="trust"/> is read per handshake, so that a new bundle applies to the next connection.</summary>
    public static HttpsConnectionAdapterOptions Options(WorkloadCredentials serving, Func<TrustBundle> trust)
    {
        ArgumentNullException.ThrowIfNull(serving);
        ArgumentNullException.ThrowIfNull(trust);
        var policies = new ChainPolicies(trust);
        return new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serving.Leaf,
            ServerCertificateChain = [.. serving.Intermediates],
            ClientCertificateMode = ClientCertificateMode.AllowCertificate,
            ClientCertificateValidation = static (_, _, _) => true,
            // The callback above accepts any chain, so a revocation lookup during the handshake
            // would decide nothing and only cost time (mesh certificates name no CRL anyway).
            CheckCertificateRevocation = false,
            HandshakeTimeout = TimeSpan.FromSeconds(10),
            // SslStream builds a chain for every client certificate before the callback runs, whatever the
            // callback decides. Against the system store a mesh certificate never chains, and the build
            // searches the machine's roots under their shared store; against the mesh roots alone it is a
            // short, local build (no downloads, no revocation).
            OnAuthenticate = (_, ssl) => ssl.CertificateChainPolicy = policies.ForHandshake(),
        };
    }

    /// <summary>One chain policy per trust bundle, cloned per handshake: SslStream adds the peer's intermediates to the policy it is given.</summary>
    private sealed class ChainPolicies(Func<TrustBundle> trust)
    {
        private sealed record Built(TrustBundle Bundle, X509ChainPolicy Policy);

        private Built? _current;

        public X509ChainPolicy ForHandshake()
        {
            var bundle = trust();
            var current = Volatile.Read(ref _current);
            if (current is null || !ReferenceEquals(current.Bundle, bundle))
            {
                current = new Built(bundle, For(bundle));
                Volatile.Write(ref _current, current);
            }
            return current.Policy.Clone();
        }

        private static X509ChainPolicy For(TrustBundle bundle)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.AddRange(bundle.Roots.ToArray());
            // What SslStream would add itself for a server checking its client (RFC 5280 §4.2.1.12), set here
            // so that it never has to change the policy.
            policy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2"));
            return policy;
        }
    }
}
