using System.Text;

namespace Meshwork.Api;

/// <summary>
/// A kubeconfig for the running control plane, so that kubectl (and every tool that reads a
/// kubeconfig) talks to the config API: one cluster that trusts only the mesh root, one user with
/// the admin bearer token, and one context, <see cref="ContextName"/>. It holds the token, so it is
/// written 0600 like the token itself.
/// </summary>
public static class Kubeconfig
{
    public const string ContextName = "meshwork";

    /// <summary>The kubeconfig YAML; every value is base64 or a quoted URL, so nothing needs YAML escaping.</summary>
    public static string Render(string serverUrl, string rootCertificatePem, string token)
    {
        if (token.Any(c => c is '"' or '\\' or < ' ')) throw new ArgumentException("the admin token holds characters a kubeconfig cannot quote", nameof(token));
        var authority = Convert.ToBase64String(Encoding.UTF8.GetBytes(rootCertificatePem));
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {ContextName}
              cluster:
                server: "{serverUrl}"
                certificate-authority-data: {authority}
            users:
            - name: {ContextName}-admin
              user:
                token: "{token}"
            contexts:
            - name: {ContextName}
              context:
                cluster: {ContextName}
                user: {ContextName}-admin
                namespace: default
            current-context: {ContextName}

            """;
    }
}
