using System.CommandLine;
using System.Text.Json;
using Meshwork.Cli.Commands.Diagnostics;

namespace Meshwork.Cli.Tests;

public sealed class ExplainCommandTests : IDisposable
{
    private readonly ExplainManifests _files = new();

    public void Dispose() => _files.Dispose();

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var root = new RootCommand("test");
        foreach (var c in DiagnosticCommands.Create()) root.Subcommands.Add(c);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = root.Parse(["x", "explain", .. args]).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static JsonElement Json(string stdout) => JsonDocument.Parse(stdout).RootElement;

    private (int Exit, JsonElement Json, string Err) Explain(string from, string to, params string[] more)
    {
        var (exit, stdout, stderr) = Run(["-f", _files.Directory, "--from", from, "--to", to, "-o", "json", .. more]);
        Assert.True(exit == 0, stderr);
        return (exit, Json(stdout), stderr);
    }

    private static string Curl(JsonElement e) => e.GetProperty("outcome").GetString() == "reset" ? "000" : e.GetProperty("httpCode").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);

    private string[] Matrix()
    {
        var lines = new List<string>();
        foreach (var from in new[] { "foo", "bar", "legacy" })
        {
            foreach (var to in new[] { "foo", "bar" })
            {
                lines.Add($"sleep.{from} to httpbin.{to}: {Curl(Explain($"{from}/sleep", $"httpbin.{to}:8000", "--path", "/ip").Json)}");
            }
        }
        return [.. lines];
    }

    [Fact]
    public void Reproduces_the_mtls_migration_tutorial_step_by_step()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        Assert.Equal(
            ["sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200", "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200", "sleep.legacy to httpbin.foo: 200", "sleep.legacy to httpbin.bar: 200"],
            Matrix());

        var nsPolicy = _files.Write("mtls-ns.yaml", ExplainManifests.NamespaceStrict);
        Assert.Equal(
            ["sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200", "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200", "sleep.legacy to httpbin.foo: 000", "sleep.legacy to httpbin.bar: 200"],
            Matrix());

        var meshPolicy = _files.Write("mtls-global.yaml", ExplainManifests.MeshStrict);
        Assert.Equal(
            ["sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200", "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200", "sleep.legacy to httpbin.foo: 000", "sleep.legacy to httpbin.bar: 000"],
            Matrix());

        File.Delete(nsPolicy);
        File.Delete(meshPolicy);
        Assert.All(Matrix(), line => Assert.EndsWith(": 200", line, StringComparison.Ordinal));
    }

    [Fact]
    public void Json_names_the_mode_the_tls_and_why()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        _files.Write("mtls-ns.yaml", ExplainManifests.NamespaceStrict);

        var legacy = Explain("legacy/sleep", "httpbin.foo:8000").Json;
        Assert.Equal("STRICT", legacy.GetProperty("serverMode").GetString());
        Assert.Equal("PeerAuthentication foo/default (namespace-wide)", legacy.GetProperty("serverModeSource").GetString());
        Assert.Equal("NONE", legacy.GetProperty("clientTls").GetString());
        Assert.Equal("reset", legacy.GetProperty("outcome").GetString());
        Assert.Equal(0, legacy.GetProperty("httpCode").GetInt32());
        Assert.Contains(legacy.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("exit code 56", StringComparison.Ordinal));

        var foo = Explain("foo/sleep", "httpbin:8000").Json;
        Assert.Equal("ISTIO_MUTUAL", foo.GetProperty("clientTls").GetString());
        Assert.Equal("auto", foo.GetProperty("clientTlsSource").GetString());
        Assert.Equal("ok", foo.GetProperty("outcome").GetString());
        Assert.Equal(200, foo.GetProperty("httpCode").GetInt32());
        var authz = foo.GetProperty("authorization");
        Assert.Equal("ALLOW", authz.GetProperty("decision").GetString());
        Assert.Equal(JsonValueKind.Null, authz.GetProperty("policy").ValueKind);
        Assert.Equal(JsonValueKind.Null, authz.GetProperty("rule").ValueKind);
        Assert.Equal(0, authz.GetProperty("dryRun").GetArrayLength());
    }

    [Fact]
    public void Reproduces_the_per_workload_permissive_override_from_outside_the_mesh()
    {
        _files.Write("00-shop.yaml", ExplainManifests.Shop);
        _files.Write("10-mesh-strict.yaml", ExplainManifests.MeshStrict);
        (int, JsonElement) Outside(string to)
        {
            var (exit, stdout, stderr) = Run("-f", _files.Directory, "--from-outside", "--from", "noistio", "--to", to, "-o", "json");
            Assert.True(exit == 0, stderr);
            return (exit, Json(stdout));
        }

        Assert.Equal("000", Curl(Outside("frontend.hipstershopv1v2:8080").Item2));

        _files.Write("20-frontend.yaml", ExplainManifests.FrontendPermissive);
        var frontend = Outside("frontend.hipstershopv1v2:8080").Item2;
        Assert.Equal("200", Curl(frontend));
        Assert.Equal("PERMISSIVE", frontend.GetProperty("serverMode").GetString());
        Assert.Equal("PeerAuthentication hipstershopv1v2/frontend (workload)", frontend.GetProperty("serverModeSource").GetString());
        Assert.False(frontend.GetProperty("clientHasSidecar").GetBoolean());

        var adservice = Outside("adservice.hipstershopv1v2:9555").Item2;
        Assert.Equal("000", Curl(adservice));
        Assert.Equal("reset", adservice.GetProperty("outcome").GetString());
        Assert.Equal("STRICT", adservice.GetProperty("serverMode").GetString());
    }

    [Fact]
    public void Destination_rule_is_named_as_the_tls_source_and_plaintext_to_strict_is_503()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        _files.Write("mtls-ns.yaml", ExplainManifests.NamespaceStrict);
        _files.Write("dr.yaml", """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata:
              name: httpbin-plain
              namespace: bar
            spec:
              host: httpbin.foo.svc.cluster.local
              trafficPolicy:
                tls:
                  mode: DISABLE
            """);
        var e = Explain("bar/sleep", "httpbin.foo:8000").Json;
        Assert.Equal("DISABLE", e.GetProperty("clientTls").GetString());
        Assert.Equal("DestinationRule bar/httpbin-plain", e.GetProperty("clientTlsSource").GetString());
        Assert.Equal("unavailable", e.GetProperty("outcome").GetString());
        Assert.Equal(503, e.GetProperty("httpCode").GetInt32());
    }

    [Fact]
    public void Authorization_deny_names_the_policy_and_rule_and_answers_403()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        _files.Write("authz.yaml", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: httpbin
              namespace: foo
            spec:
              selector:
                matchLabels:
                  app: httpbin
              action: ALLOW
              rules:
              - from:
                - source:
                    principals: ["cluster.local/ns/bar/sa/sleep"]
              - to:
                - operation:
                    methods: ["GET"]
                    paths: ["/headers"]
                when:
                - key: request.headers[x-token]
                  values: ["admin"]
            ---
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: shadow
              namespace: foo
              annotations:
                istio.io/dry-run: "true"
            spec:
              action: DENY
              rules:
              - to:
                - operation:
                    paths: ["/ip"]
            """);

        var fromBar = Explain("bar/sleep", "httpbin.foo:8000", "--path", "/ip").Json;
        var authz = fromBar.GetProperty("authorization");
        Assert.Equal("ALLOW", authz.GetProperty("decision").GetString());
        Assert.Equal("foo/httpbin", authz.GetProperty("policy").GetString());
        Assert.Equal(0, authz.GetProperty("rule").GetInt32());
        var dry = Assert.Single(authz.GetProperty("dryRun").EnumerateArray());
        Assert.Equal("foo/shadow", dry.GetProperty("policy").GetString());
        Assert.True(dry.GetProperty("matched").GetBoolean());

        var fromFoo = Explain("foo/sleep", "httpbin.foo:8000", "--path", "/ip").Json;
        Assert.Equal("DENY", fromFoo.GetProperty("authorization").GetProperty("decision").GetString());
        Assert.Equal("denied", fromFoo.GetProperty("outcome").GetString());
        Assert.Equal(403, fromFoo.GetProperty("httpCode").GetInt32());

        var withHeader = Explain("foo/sleep", "httpbin.foo:8000", "--path", "/headers", "--header", "X-Token=admin").Json;
        Assert.Equal(1, withHeader.GetProperty("authorization").GetProperty("rule").GetInt32());
        Assert.Equal(200, withHeader.GetProperty("httpCode").GetInt32());

        var wrongMethod = Explain("foo/sleep", "httpbin.foo:8000", "--path", "/headers", "--header", "X-Token=admin", "--method", "POST").Json;
        Assert.Equal(403, wrongMethod.GetProperty("httpCode").GetInt32());
    }

    [Fact]
    public void Unknown_host_is_unavailable_with_a_reason()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        var e = Explain("foo/sleep", "nothing.foo:8000").Json;
        Assert.Equal("unavailable", e.GetProperty("outcome").GetString());
        Assert.Equal(503, e.GetProperty("httpCode").GetInt32());
        Assert.Contains(e.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("No Service", StringComparison.Ordinal));
    }

    [Fact]
    public void Text_report_gives_the_verdict_and_the_reasons()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        _files.Write("mtls-ns.yaml", ExplainManifests.NamespaceStrict);
        var (exit, stdout, _) = Run("-f", _files.Directory, "--from", "legacy/sleep", "--to", "httpbin.foo:8000");
        Assert.Equal(0, exit);
        Assert.Contains("RESET", stdout, StringComparison.Ordinal);
        Assert.Contains("STRICT (PeerAuthentication foo/default (namespace-wide))", stdout, StringComparison.Ordinal);
        Assert.Contains("[PeerAuthentication/foo/default spec.mtls.mode]", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_manifest_is_reported_with_file_line_and_column_and_exit_code_1()
    {
        var bad = _files.Write("bad.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [oops\n");
        var (exit, stdout, stderr) = Run("-f", bad, "--from", "foo/sleep", "--to", "httpbin:8000", "-o", "json");
        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.Matches(@"bad\.yaml:\d+:\d+: ", stderr);
    }

    [Fact]
    public void Unknown_client_deployment_is_an_error()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        var (exit, _, stderr) = Run("-f", _files.Directory, "--from", "foo/nope", "--to", "httpbin:8000");
        Assert.Equal(1, exit);
        Assert.Contains("foo/nope", stderr, StringComparison.Ordinal);
        Assert.Contains("--from-outside", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("httpbin:notaport")]
    [InlineData("httpbin:0")]
    public void Bad_destination_is_an_error(string to)
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        var (exit, _, stderr) = Run("-f", _files.Directory, "--from", "foo/sleep", "--to", to);
        Assert.Equal(1, exit);
        Assert.Contains("--to", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Destination_may_be_a_url_whose_path_is_used()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        _files.Write("authz.yaml", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: deny-ip
              namespace: foo
            spec:
              action: DENY
              rules:
              - to:
                - operation:
                    paths: ["/ip"]
            """);
        var ip = Explain("bar/sleep", "http://httpbin.foo:8000/ip?x=1").Json;
        Assert.Equal(403, ip.GetProperty("httpCode").GetInt32());
        Assert.Equal("foo/deny-ip", ip.GetProperty("authorization").GetProperty("policy").GetString());
        var headers = Explain("bar/sleep", "http://httpbin.foo:8000/headers").Json;
        Assert.Equal(200, headers.GetProperty("httpCode").GetInt32());
    }

    [Fact]
    public void Source_ip_feeds_ip_block_rules()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        _files.Write("authz.yaml", """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: office-only
              namespace: foo
            spec:
              rules:
              - from:
                - source:
                    ipBlocks: ["10.20.0.0/16"]
            """);
        Assert.Equal(403, Explain("legacy/sleep", "httpbin.foo:8000").Json.GetProperty("httpCode").GetInt32());
        Assert.Equal(200, Explain("legacy/sleep", "httpbin.foo:8000", "--source-ip", "10.20.1.2").Json.GetProperty("httpCode").GetInt32());
        var (exit, _, stderr) = Run("-f", _files.Directory, "--from", "legacy/sleep", "--to", "httpbin.foo:8000", "--source-ip", "nope");
        Assert.Equal(1, exit);
        Assert.Contains("--source-ip", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_header_is_an_error()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        var (exit, _, stderr) = Run("-f", _files.Directory, "--from", "foo/sleep", "--to", "httpbin:8000", "--header", "novalue");
        Assert.Equal(1, exit);
        Assert.Contains("--header", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_report_for_an_unknown_port_says_unavailable()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        var (exit, stdout, _) = Run("-f", _files.Directory, "--from", "foo/sleep", "--to", "httpbin.bar:9999");
        Assert.Equal(0, exit);
        Assert.Contains("UNAVAILABLE", stdout, StringComparison.Ordinal);
        Assert.Contains("no port 9999", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_destination_is_a_usage_error()
    {
        _files.Write("00-setup.yaml", ExplainManifests.MigrationSetup);
        var (exit, _, stderr) = Run("-f", _files.Directory, "--from", "foo/sleep");
        Assert.Equal(1, exit);
        Assert.Contains("--to", stderr, StringComparison.Ordinal);
    }
}
