using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Net.Security;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Gateway;

/// <summary>
/// One HTTPS Gateway server compiled once per snapshot: its SNI host patterns and the prebuilt certificate context
/// it presents (swapped whole with the snapshot, as Kestrel prebuilds its context), with the client CA for MUTUAL.
/// A server whose Secret is missing or unreadable keeps its hosts and <see cref="Problem"/>: handshakes for them fail.
/// </summary>
internal sealed class GatewayServerCredential
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2", "Client Authentication");

    private GatewayServerCredential(string[] hosts, GatewayTlsMode mode, string credentialName)
    {
        Hosts = hosts;
        Mode = mode;
        CredentialName = credentialName;
    }

    public string[] Hosts { get; }
    public GatewayTlsMode Mode { get; }
    public string CredentialName { get; }
    public SslStreamCertificateContext? Context { get; private init; }
    public X509Certificate2Collection? ClientRoots { get; private init; }
    public string? Problem { get; private init; }

    public static GatewayServerCredential Compile(GatewayTlsServer server)
    {
        var hosts = server.Hosts.Select(h => h.ToLowerInvariant()).ToArray();
        GatewayServerCredential Failed(string problem) => new(hosts, server.Mode, server.CredentialName) { Problem = problem };
        if (server.Problem is { } problem) return Failed(problem);
        if (server.CertificateChain is not { } chainPem || server.PrivateKey is not { } keyPem)
            return Failed($"Secret {server.CredentialName} gave no certificate and key");
        try
        {
            // The first certificate of tls.crt is the leaf, paired with tls.key; the rest are intermediates sent with it.
            var leaf = X509Certificate2.CreateFromPem(chainPem, keyPem);
            var chain = new X509Certificate2Collection();
            chain.ImportFromPem(chainPem);
            var intermediates = new X509Certificate2Collection();
            for (var i = 1; i < chain.Count; i++) intermediates.Add(chain[i]);
            X509Certificate2Collection? roots = null;
            if (server.Mode == GatewayTlsMode.Mutual)
            {
                roots = [];
                roots.ImportFromPem(server.CaCertificates ?? "");
                if (roots.Count == 0) return Failed($"Secret {server.CredentialName}: ca.crt holds no certificate");
            }
            return new GatewayServerCredential(hosts, server.Mode, server.CredentialName)
            {
                Context = SslStreamCertificateContext.Create(leaf, intermediates, offline: true),
                ClientRoots = roots,
            };
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // Unparsable PEM, or a key that is not the certificate's (ArgumentException). The message names what
            // failed; the key itself never goes into it.
            return Failed($"Secret {server.CredentialName} does not hold a usable certificate and key: {e.Message}");
        }
    }

    /// <summary>Fresh options for one handshake around the prebuilt context (chain policies are mutable, so none is shared).</summary>
    public SslServerAuthenticationOptions ServerOptions()
    {
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = Context,
            // The gateway's relay speaks HTTP/1.1 to the client (RFC 7301: the server picks from the client's list).
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            EnabledSslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (Mode == GatewayTlsMode.Mutual && ClientRoots is { } roots)
        {
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                VerificationFlags = X509VerificationFlags.NoFlag,
            };
            policy.CustomTrustStore.AddRange(roots);
            // RFC 5280 §4.2.1.12: a client certificate that restricts its key usage must allow client authentication.
            policy.ApplicationPolicy.Add(ClientAuth);
            options.ClientCertificateRequired = true;
            options.CertificateChainPolicy = policy;
            // Fail closed: no certificate, or one that does not chain to the Secret's ca.crt, ends the handshake.
            options.RemoteCertificateValidationCallback = static (_, certificate, _, errors) => certificate is not null && errors == SslPolicyErrors.None;
        }
        return options;
    }
}
