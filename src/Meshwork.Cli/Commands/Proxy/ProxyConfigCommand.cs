using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Proxy;

/// <summary>
/// `meshwork proxy-config secret POD|deploy/NAME [-n NS] [-o json]`, as istioctl prints it: the
/// sidecar's workload certificate ("default") and trust bundle ("ROOTCA"). The JSON has the shape of
/// Envoy's SecretsConfigDump, so the usual jq pipelines work; the private key is never shown.
/// </summary>
public static class ProxyConfigCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("pod") { Description = "POD[.NAMESPACE] or deploy/NAME" };
        var ns = GlobalOptions.Namespace;
        var output = new Option<string?>("--output", "-o") { Description = "json, or a table when absent" };
        var secret = new Command("secret", "Show the sidecar's certificate and trust bundle") { target, output };
        secret.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var state = GlobalOptions.ResolveStateDirectory(parse);
            var name = parse.GetValue(target)!;
            var @namespace = parse.GetValue(ns) ?? "default";
            if (!name.Contains('/', StringComparison.Ordinal) && name.Split('.') is [var podName, var podNamespace])
            {
                (name, @namespace) = (podName, podNamespace);
            }
            var pod = PodRecord.Resolve(state, @namespace, name, out var error);
            if (pod is null)
            {
                stderr.WriteLine(error);
                return 1;
            }
            if (!pod.Sidecar)
            {
                stderr.WriteLine($"error: pod {pod.Name}.{pod.Namespace} has no sidecar (istio-proxy), so it holds no mesh certificate");
                return 1;
            }
            if (SecretDump.ForPod(state, pod) is not { } dump)
            {
                stderr.WriteLine($"error: the sidecar of {pod.Name}.{pod.Namespace} has no certificate yet");
                return 1;
            }
            stdout.Write(parse.GetValue(output) == "json" ? dump.ToJson() : dump.ToTable());
            return 0;
        });
        return new Command("proxy-config", "Show a sidecar's configuration (as istioctl proxy-config)") { secret };
    }
}

/// <summary>The two secrets a sidecar holds, read from its certificate files.</summary>
internal sealed record SecretDump(string ChainPem, X509Certificate2 Leaf, string RootPem, X509Certificate2 Root, DateTimeOffset LastUpdated)
{
    /// <summary>The certificates a pod's sidecar holds (its etc/certs), or null before it has been issued any.</summary>
    public static SecretDump? ForPod(StateDirectory state, PodRecord pod)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(pod);
        var certs = Path.Combine(state.PodDirectory(pod.Namespace, pod.Name), "etc", "certs");
        var chainFile = Path.Combine(certs, "cert-chain.pem");
        var rootFile = Path.Combine(certs, "root-cert.pem");
        return pod.Sidecar && File.Exists(chainFile) && File.Exists(rootFile) ? Read(chainFile, rootFile) : null;
    }

    public static SecretDump Read(string chainFile, string rootFile)
    {
        var chainPem = File.ReadAllText(chainFile);
        var rootPem = File.ReadAllText(rootFile);
        return new SecretDump(chainPem, X509Certificate2.CreateFromPem(chainPem), rootPem, X509Certificate2.CreateFromPem(rootPem),
            File.GetLastWriteTimeUtc(chainFile));
    }

    public string ToTable()
    {
        var now = DateTime.UtcNow;
        string Row(string name, string type, X509Certificate2 cert) => string.Join("     ", name.PadRight(13), type.PadRight(10), "ACTIVE",
            (cert.NotBefore.ToUniversalTime() <= now && now <= cert.NotAfter.ToUniversalTime() ? "true" : "false").PadRight(10),
            cert.SerialNumber.ToLowerInvariant().PadRight(34), Stamp(cert.NotAfter), Stamp(cert.NotBefore));
        var text = new StringBuilder();
        text.AppendLine(string.Join("     ", "RESOURCE NAME", "TYPE      ", "STATUS", "VALID CERT", "SERIAL NUMBER".PadRight(34), "NOT AFTER".PadRight(20), "NOT BEFORE"));
        text.AppendLine(Row("default", "Cert Chain", Leaf));
        text.AppendLine(Row("ROOTCA", "CA", Root));
        return text.ToString();
    }

    public string ToJson()
    {
        string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        var updated = LastUpdated.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var dump = new JsonObject
        {
            ["dynamicActiveSecrets"] = new JsonArray
            {
                new JsonObject
                {
                    ["name"] = "default",
                    ["versionInfo"] = Leaf.SerialNumber.ToLowerInvariant(),
                    ["lastUpdated"] = updated,
                    ["secret"] = new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
                        ["name"] = "default",
                        ["tlsCertificate"] = new JsonObject
                        {
                            ["certificateChain"] = new JsonObject { ["inlineBytes"] = B64(ChainPem) },
                            ["privateKey"] = new JsonObject { ["inlineBytes"] = B64("[redacted]") },
                        },
                    },
                },
                new JsonObject
                {
                    ["name"] = "ROOTCA",
                    ["versionInfo"] = Root.SerialNumber.ToLowerInvariant(),
                    ["lastUpdated"] = updated,
                    ["secret"] = new JsonObject
                    {
                        ["@type"] = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
                        ["name"] = "ROOTCA",
                        ["validationContext"] = new JsonObject
                        {
                            ["trustedCa"] = new JsonObject { ["inlineBytes"] = B64(RootPem) },
                        },
                    },
                },
            },
            ["dynamicWarmingSecrets"] = new JsonArray(),
        };
        return dump.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static string Stamp(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture).PadRight(20);
}
