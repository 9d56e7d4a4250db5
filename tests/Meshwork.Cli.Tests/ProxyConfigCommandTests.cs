using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.Cli.Commands;
using Meshwork.Cli.Commands.Proxy;
using Meshwork.Runtime.Pods;
using Meshwork.Testing;

namespace Meshwork.Cli.Tests;

/// <summary>`proxy-config secret` prints what istioctl prints, so the tutorials' jq pipelines work.</summary>
public sealed class ProxyConfigCommandTests : IDisposable
{
    private readonly StateDirectory _state = new(Path.Combine(Path.GetTempPath(), "meshwork-pc-" + Guid.NewGuid().ToString("N")));

    public void Dispose() => Directory.Delete(_state.Root, recursive: true);

    private (int Exit, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand();
        GlobalOptions.AddTo(root);
        root.Subcommands.Add(ProxyConfigCommand.Create());
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = root.Parse(["--state-dir", _state.Root, .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private void AddPod(string ns, string name, string deployment, bool sidecar)
    {
        var directory = _state.PodDirectory(ns, name);
        new PodRecord { Namespace = ns, Name = name, Deployment = deployment, TemplateHash = "abc", PodIp = "127.1.0.9", Sidecar = sidecar, CreatedAt = DateTimeOffset.UtcNow }
            .Write(directory);
        if (sidecar)
        {
            TestCertificateAuthority.Shared.IssueWorkload(ns, deployment).WriteTo(Path.Combine(directory, "etc", "certs"));
        }
    }

    [Fact]
    public void Json_output_carries_the_workload_chain_where_the_tutorials_jq_reads_it_and_never_the_key()
    {
        AddPod("foo", "httpbin-1-aaaaa", "httpbin", sidecar: true);

        var (exit, stdout, _) = Run("proxy-config", "secret", "deploy/httpbin", "-n", "foo", "-o", "json");

        Assert.Equal(0, exit);
        var dump = JsonNode.Parse(stdout)!;
        var chain = dump["dynamicActiveSecrets"]![0]!["secret"]!["tlsCertificate"]!["certificateChain"]!["inlineBytes"]!.GetValue<string>();
        var leaf = X509Certificate2.CreateFromPem(Encoding.UTF8.GetString(Convert.FromBase64String(chain)));
        Assert.Contains("spiffe://cluster.local/ns/foo/sa/httpbin", leaf.Extensions["2.5.29.17"]!.Format(false));
        Assert.Equal("ROOTCA", dump["dynamicActiveSecrets"]![1]!["name"]!.GetValue<string>());
        var key = dump["dynamicActiveSecrets"]![0]!["secret"]!["tlsCertificate"]!["privateKey"]!["inlineBytes"]!.GetValue<string>();
        Assert.Equal("[redacted]", Encoding.UTF8.GetString(Convert.FromBase64String(key)));
        Assert.DoesNotContain("PRIVATE KEY", stdout);
    }

    [Fact]
    public void The_namespace_flag_before_the_verb_finds_the_same_pod()
    {
        AddPod("foo", "httpbin-1-aaaaa", "httpbin", sidecar: true);

        var (exit, stdout, stderr) = Run("-n", "foo", "proxy-config", "secret", "deploy/httpbin");

        Assert.True(exit == 0, stderr);
        Assert.Contains("Cert Chain", stdout);
    }

    [Fact]
    public void Table_lists_default_and_rootca_with_istioctls_columns()
    {
        AddPod("foo", "httpbin-1-aaaaa", "httpbin", sidecar: true);

        var (exit, stdout, _) = Run("proxy-config", "secret", "httpbin-1-aaaaa.foo");

        Assert.Equal(0, exit);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("RESOURCE NAME", lines[0]);
        Assert.Contains("VALID CERT", lines[0]);
        Assert.Matches(@"^default\s+Cert Chain\s+ACTIVE\s+true", lines[1]);
        Assert.Matches(@"^ROOTCA\s+CA\s+ACTIVE\s+true", lines[2]);
    }

    [Fact]
    public void A_pod_without_a_sidecar_has_no_secret_to_show()
    {
        AddPod("legacy", "sleep-1-bbbbb", "sleep", sidecar: false);

        var (exit, _, stderr) = Run("proxy-config", "secret", "deploy/sleep", "-n", "legacy");

        Assert.Equal(1, exit);
        Assert.Contains("has no sidecar", stderr);
    }
}
