using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.Cli.Output;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Proxy;

/// <summary>
/// `meshwork proxy-config secret|listener|cluster|route|endpoint|log POD|deploy/NAME [-n NS] [-o json|yaml]`,
/// as istioctl prints them. `secret` reads the sidecar's certificate files: the workload certificate
/// ("default") and trust bundle ("ROOTCA"), JSON in the shape of Envoy's SecretsConfigDump so the
/// usual jq pipelines work, the private key never shown. The other views read the proxy's
/// Envoy-shaped /config_dump; `log --level` changes the proxy's level live through POST /logging.
/// </summary>
public static class ProxyConfigCommand
{
    private static readonly string[] DumpKinds = ["listener", "cluster", "route", "endpoint"];

    public static Command Create()
    {
        var command = new Command("proxy-config", "Show a sidecar's configuration (as istioctl proxy-config)") { SecretCommand() };
        command.Aliases.Add("pc");
        foreach (var kind in DumpKinds) command.Subcommands.Add(DumpCommand(kind));
        command.Subcommands.Add(LogCommand());
        return command;
    }

    private static Argument<string> Target() => new("pod") { Description = "POD[.NAMESPACE] or deploy/NAME" };

    private static Option<string?> Output(string formats) => new("--output", "-o") { Description = formats };

    private static Command SecretCommand()
    {
        var target = Target();
        var output = Output("json, or a table when absent");
        var secret = new Command("secret", "Show the sidecar's certificate and trust bundle") { target, output };
        secret.Aliases.Add("secrets");
        secret.SetAction(parse =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var state = GlobalOptions.ResolveStateDirectory(parse);
            if (ResolvePod(parse, state, target, stderr) is not { } pod) return 1;
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
        return secret;
    }

    /// <summary>listener, cluster, route or endpoint: one kind of the proxy's config dump, as istioctl shows it.</summary>
    private static Command DumpCommand(string kind)
    {
        var target = Target();
        var output = Output("json, yaml, or short (a table, the default)");
        var command = new Command(kind, $"Show the proxy's {kind}s (from its /config_dump)") { target, output };
        command.Aliases.Add(kind + "s");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            var format = parse.GetValue(output) ?? "short";
            if (format is not ("short" or "json" or "yaml"))
            {
                stderr.WriteLine($"error: unknown output format '{format}' (use json, yaml or short)");
                return 1;
            }
            if (ResolveProxyPod(parse, target, stderr) is not { } pod) return 1;
            JsonNode dump;
            try
            {
                using var admin = ProxyAdmin.For(pod);
                var text = await admin.GetAsync(kind == "endpoint" ? "config_dump?include_eds" : "config_dump", cancellationToken);
                dump = JsonNode.Parse(text) ?? throw new JsonException("the config dump is empty");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ProxyAdminException or JsonException)
            {
                stderr.WriteLine($"error: cannot read the config of {pod.Name}.{pod.Namespace}'s proxy at {ProxyAdmin.AddressOf(pod)}: {e.Message}");
                return 1;
            }
            var resources = EnvoyConfigView.Resources(dump, kind);
            var list = new JsonArray([.. resources.Select(r => r.DeepClone())]);
            stdout.Write(format switch
            {
                "json" => list.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n",
                "yaml" => OutputYaml.Write(list),
                _ => OutputTable.Format(EnvoyConfigView.Table(kind, resources)),
            });
            return 0;
        });
        return command;
    }

    /// <summary>`log POD [--level LEVEL]`: the proxy's logging level, changed live when --level is given.</summary>
    private static Command LogCommand()
    {
        var target = Target();
        var level = new Option<string?>("--level") { Description = "Set the proxy's log level: trace, debug, info, warning, error, critical, off (also as LOGGER:LEVEL)" };
        var command = new Command("log", "Show or change the proxy's logging level") { target, level };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var stdout = parse.InvocationConfiguration.Output;
            var stderr = parse.InvocationConfiguration.Error;
            if (ResolveProxyPod(parse, target, stderr) is not { } pod) return 1;
            var wanted = parse.GetValue(level);
            // istioctl also takes "logger:level"; the proxy has one logger, so the level is what counts.
            if (wanted is not null && wanted.LastIndexOf(':') is var colon and >= 0) wanted = wanted[(colon + 1)..];
            try
            {
                using var admin = ProxyAdmin.For(pod);
                var answer = wanted is null
                    ? await admin.GetAsync("logging", cancellationToken)
                    : await admin.PostAsync("logging?level=" + Uri.EscapeDataString(wanted), cancellationToken);
                stdout.Write($"{pod.Name}.{pod.Namespace}:\n{answer}");
                return 0;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or ProxyAdminException)
            {
                stderr.WriteLine($"error: {pod.Name}.{pod.Namespace}: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The pod a target names: POD, POD.NAMESPACE or deploy/NAME in -n's namespace (default "default").</summary>
    private static PodRecord? ResolvePod(ParseResult parse, StateDirectory state, Argument<string> target, TextWriter stderr)
    {
        var name = parse.GetValue(target)!;
        var @namespace = parse.GetValue(GlobalOptions.Namespace) ?? "default";
        if (!name.Contains('/', StringComparison.Ordinal) && name.Split('.') is [var podName, var podNamespace])
        {
            (name, @namespace) = (podName, podNamespace);
        }
        var pod = PodRecord.Resolve(state, @namespace, name, out var error);
        if (pod is null) stderr.WriteLine(error);
        return pod;
    }

    /// <summary>As <see cref="ResolvePod"/>, for a pod that runs a proxy (a sidecar or a gateway) with an admin API.</summary>
    private static PodRecord? ResolveProxyPod(ParseResult parse, Argument<string> target, TextWriter stderr)
    {
        if (ResolvePod(parse, GlobalOptions.ResolveStateDirectory(parse), target, stderr) is not { } pod) return null;
        if (pod.Containers.Any(c => c.Name == SidecarInjection.SidecarContainerName)) return pod;
        stderr.WriteLine($"error: pod {pod.Name}.{pod.Namespace} has no sidecar (istio-proxy), so it has no proxy configuration");
        return null;
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
