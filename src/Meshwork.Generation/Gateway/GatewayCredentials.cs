using System.Text;
using Meshwork.Model.Mesh;
using Meshwork.Model.Resources;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Generation.Gateway;

/// <summary>
/// The credential of an HTTPS Gateway server, read as Istio's gateway reads <c>credentialName</c>: a Secret of that
/// name in the gateway workload's own namespace (not the Gateway resource's), holding <c>tls.crt</c> and <c>tls.key</c>
/// (a <c>kubernetes.io/tls</c> Secret; the generic keys <c>cert</c>/<c>key</c> too), and for MUTUAL the client CA in
/// <c>ca.crt</c> (or <c>cacert</c>) of the same Secret or of a Secret named <c>&lt;credentialName&gt;-cacert</c>.
/// A missing or incomplete Secret still yields the server, without a credential, so its hosts fail closed.
/// </summary>
internal static class GatewayCredentials
{
    public static GatewayTlsServer Server(GatewayServer server, string gatewayNamespace, MeshState mesh)
    {
        var tls = server.Tls!;
        var mode = tls.Mode == "MUTUAL" ? GatewayTlsMode.Mutual : GatewayTlsMode.Simple;
        var name = tls.CredentialName ?? "";
        var without = new GatewayTlsServer
        {
            Hosts = [.. server.Hosts.Select(GatewayBuilder.HostPart)],
            Mode = mode,
            CredentialName = $"{gatewayNamespace}/{name}",
        };
        if (Find(mesh, gatewayNamespace, name) is not { } secret)
            return without with { Problem = $"Secret {gatewayNamespace}/{name} (credentialName) does not exist in the gateway's namespace" };
        var chain = Text(secret, "tls.crt") ?? Text(secret, "cert");
        var key = Text(secret, "tls.key") ?? Text(secret, "key");
        if (chain is null || key is null)
            return without with { Problem = $"Secret {gatewayNamespace}/{name} has no tls.crt and tls.key" };
        string? ca = null;
        if (mode == GatewayTlsMode.Mutual)
        {
            ca = Text(secret, "ca.crt") ?? Text(secret, "cacert");
            if (ca is null && Find(mesh, gatewayNamespace, $"{name}-cacert") is { } caSecret) ca = Text(caSecret, "ca.crt") ?? Text(caSecret, "cacert");
            if (ca is null)
                return without with { Problem = $"MUTUAL needs the client CA: Secret {gatewayNamespace}/{name} has no ca.crt and there is no Secret {name}-cacert" };
        }
        return without with { CertificateChain = chain, PrivateKey = key, CaCertificates = ca };
    }

    private static Secret? Find(MeshState mesh, string ns, string name) =>
        mesh.Secrets.FirstOrDefault(s => s.Metadata.Namespace == ns && s.Metadata.Name == name);

    private static string? Text(Secret secret, string key) =>
        secret.Data.TryGetValue(key, out var bytes) && !bytes.IsDefaultOrEmpty ? Encoding.ASCII.GetString(bytes.AsSpan()) : null;
}
