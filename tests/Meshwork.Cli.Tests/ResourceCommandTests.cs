using System.CommandLine;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.Cli.Commands;
using Meshwork.Cli.Commands.Resources;
using Meshwork.ControlPlane.Hosting;
using Meshwork.Model.Resources;
using Microsoft.Extensions.Logging;

namespace Meshwork.Cli.Tests;

/// <summary>kubectl's verbs run in-process against a real control plane on 127.0.0.1:0.</summary>
public sealed partial class ResourceCommandTests : IAsyncLifetime
{
    private readonly string _work = Directory.CreateTempSubdirectory("meshwork-cli-").FullName;
    private StateDirectory _state = null!;
    private RunningControlPlane _server = null!;

    public async Task InitializeAsync()
    {
        _state = new StateDirectory(Path.Combine(_work, "state"));
        _server = await ControlPlaneHost.StartAsync(new ControlPlaneOptions
        {
            StateDirectory = _state,
            Port = 0,
            ConfigureLogging = l => l.ClearProviders(),
        }, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private sealed record Run(int ExitCode, string Out, string Err);

    private async Task<Run> MeshworkAsync(params string[] args) => await MeshworkAsync(_state, args);

    private static async Task<Run> MeshworkAsync(StateDirectory state, params string[] args)
    {
        var root = new RootCommand("meshwork");
        GlobalOptions.AddTo(root);
        foreach (var command in ResourceCommands.Create()) root.Subcommands.Add(command);
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await root.Parse(["--state-dir", state.Root, .. args]).InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return new Run(code, output.ToString(), error.ToString());
    }

    private string File(string name, string text)
    {
        var path = Path.Combine(_work, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private const string Mesh = """
        apiVersion: v1
        kind: Namespace
        metadata:
          name: foo
        ---
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: default
          namespace: foo
        spec:
          mtls:
            mode: STRICT
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: httpbin
          namespace: foo
          labels:
            app: httpbin
        spec:
          selector:
            app: httpbin
          ports:
          - name: http
            port: 8000
            targetPort: 80
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: httpbin
          namespace: foo
        spec:
          replicas: 1
          selector:
            matchLabels:
              app: httpbin
          template:
            metadata:
              labels:
                app: httpbin
            spec:
              containers:
              - name: httpbin
                image: docker.io/kennethreitz/httpbin
                ports:
                - containerPort: 80
        """;

    [Fact]
    public async Task Apply_prints_created_then_unchanged_then_configured()
    {
        var path = File("mesh.yaml", Mesh);

        var first = await MeshworkAsync("apply", "-f", path);
        var again = await MeshworkAsync("apply", "-f", path);
        File("mesh.yaml", Mesh.Replace("mode: STRICT", "mode: PERMISSIVE", StringComparison.Ordinal));
        var changed = await MeshworkAsync("apply", "-f", path);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(
            "namespace/foo created\npeerauthentication.security.istio.io/default created\nservice/httpbin created\ndeployment.apps/httpbin created\n",
            first.Out);
        Assert.Contains("peerauthentication.security.istio.io/default unchanged", again.Out);
        Assert.Contains("peerauthentication.security.istio.io/default configured", changed.Out);
        Assert.Contains("service/httpbin unchanged", changed.Out);
    }

    [Fact]
    public async Task Get_prints_kubectl_columns_across_namespaces()
    {
        await MeshworkAsync("apply", "-f", File("mesh.yaml", Mesh));

        var table = await MeshworkAsync("get", "peerauthentication", "-A");

        Assert.Equal(0, table.ExitCode);
        var lines = table.Out.TrimEnd('\n').Split('\n');
        Assert.Matches(@"^NAMESPACE\s+NAME\s+MODE\s+AGE$", lines[0]);
        Assert.Matches(@"^foo\s+default\s+STRICT\s+\d+s$", lines[1]);

        var services = await MeshworkAsync("get", "svc", "-n", "foo");
        Assert.Matches(@"httpbin\s+ClusterIP\s+\S+\s+<none>\s+8000/TCP\s+\d+s", services.Out);
    }

    [Fact]
    public async Task Get_prints_pod_readiness_and_derives_deployment_replicas_from_pods()
    {
        await MeshworkAsync("apply", "-f", File("mesh.yaml", Mesh));
        using var client = MeshApiClient.FromStateDirectory(_state);
        await client.PutAsync(new Pod
        {
            ApiVersion = "v1",
            Metadata = new ObjectMeta { Name = "httpbin-abc12", Namespace = "foo", Labels = System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("app", "httpbin") },
            Spec = new PodSpec { Containers = [new Container { Name = "httpbin", Image = "httpbin" }, new Container { Name = "istio-proxy", Image = "proxyv2" }] },
            Status = new PodStatus
            {
                Phase = "Running",
                PodIP = "127.0.10.2",
                ContainerStatuses = [new ContainerStatus { Name = "httpbin", Ready = true, RestartCount = 1 }, new ContainerStatus { Name = "istio-proxy", Ready = true }],
            },
        });

        var pods = await MeshworkAsync("get", "po", "-n", "foo", "-o", "wide");
        var deployments = await MeshworkAsync("get", "deploy", "-n", "foo");

        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE", pods.Out);
        Assert.Matches(@"httpbin-abc12\s+2/2\s+Running\s+1\s+\d+s\s+127\.0\.10\.2", pods.Out);
        Assert.Matches(@"^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n", deployments.Out);
        Assert.Matches(@"httpbin\s+1/1\s+1\s+1\s+\d+s", deployments.Out);
    }

    [Fact]
    public async Task Get_prints_jsonpath_yaml_json_and_names()
    {
        await MeshworkAsync("apply", "-f", File("mesh.yaml", Mesh));

        var names = await MeshworkAsync("get", "svc,pa", "-n", "foo", "-o", "jsonpath={.items..metadata.name}");
        var first = await MeshworkAsync("get", "pa", "-A", "-o", "jsonpath={.items[0].metadata.namespace}");
        var one = await MeshworkAsync("get", "pa", "default", "-n", "foo", "-o", "jsonpath={.metadata.name}:{.spec.mtls.mode}");
        var bundled = await MeshworkAsync("get", "pa", "default", "-n", "foo", "-ojsonpath={.metadata.namespace}");
        var ranged = await MeshworkAsync("get", "svc,deploy", "-n", "foo", "-o", "jsonpath={range .items[*]}{.kind}/{.metadata.name}{\"\\n\"}{end}");
        var yaml = await MeshworkAsync("get", "pa", "-A", "-o", "yaml");
        var json = await MeshworkAsync("get", "pa", "default", "-n", "foo", "-o", "json");
        var byName = await MeshworkAsync("get", "deploy", "-n", "foo", "-o", "name");

        Assert.Equal("httpbin default", names.Out);
        Assert.Equal("foo", first.Out);
        Assert.Equal("default:STRICT", one.Out);
        Assert.Equal("foo", bundled.Out);
        Assert.Equal("Service/httpbin\nDeployment/httpbin\n", ranged.Out);
        Assert.Contains("kind: List", yaml.Out);
        Assert.Contains("- apiVersion: security.istio.io/v1beta1", yaml.Out);
        Assert.Contains("      mode: STRICT", yaml.Out);
        Assert.Equal("STRICT", JsonNode.Parse(json.Out)!["spec"]!["mtls"]!["mode"]!.GetValue<string>());
        Assert.Equal("deployment.apps/httpbin\n", byName.Out);
    }

    [Fact]
    public async Task A_missing_field_in_jsonpath_is_an_error()
    {
        var result = await MeshworkAsync("get", "ns", "default", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("is not found", result.Err);
    }

    [Fact]
    public async Task Delete_by_name_and_then_get_reports_not_found()
    {
        await MeshworkAsync("apply", "-f", File("mesh.yaml", Mesh));

        var deleted = await MeshworkAsync("delete", "peerauthentication", "default", "-n", "foo");
        var get = await MeshworkAsync("get", "pa", "default", "-n", "foo");
        var again = await MeshworkAsync("delete", "pa", "default", "-n", "foo");

        Assert.Equal(0, deleted.ExitCode);
        Assert.Equal("peerauthentication.security.istio.io \"default\" deleted\n", deleted.Out);
        Assert.Equal(1, get.ExitCode);
        Assert.Contains("Error from server (NotFound): peerauthentications.security.istio.io \"default\" not found", get.Err);
        Assert.Equal(1, again.ExitCode);
    }

    [Fact]
    public async Task Delete_all_across_namespaces_and_delete_by_file()
    {
        var path = File("mesh.yaml", Mesh);
        await MeshworkAsync("apply", "-f", path);
        await MeshworkAsync("apply", "-f", File("bar.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: bar}\n---\n" +
            "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: {name: default, namespace: bar}\nspec: {mtls: {mode: PERMISSIVE}}\n"));

        var all = await MeshworkAsync("delete", "peerauthentication", "--all", "-A");
        Assert.Equal(0, all.ExitCode);
        Assert.Equal(2, all.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("No resources found", (await MeshworkAsync("get", "pa", "-A")).Err);

        var byFile = await MeshworkAsync("delete", "-f", path);
        Assert.Equal(0, byFile.ExitCode);
        Assert.Equal(
            "namespace \"foo\" deleted\npeerauthentication.security.istio.io \"default\" deleted\nservice \"httpbin\" deleted\ndeployment.apps \"httpbin\" deleted\n",
            byFile.Out);
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_what_is_in_it()
    {
        await MeshworkAsync("apply", "-f", File("mesh.yaml", Mesh));

        var deleted = await MeshworkAsync("delete", "namespace", "foo");

        Assert.Equal("namespace \"foo\" deleted\n", deleted.Out);
        Assert.Contains("No resources found", (await MeshworkAsync("get", "svc", "-A")).Err);
        Assert.Contains("No resources found", (await MeshworkAsync("get", "deploy", "-n", "foo")).Err);
    }

    [Fact]
    public async Task A_partly_invalid_file_is_reported_at_its_line_and_nothing_is_applied()
    {
        var path = File("broken.yaml", Mesh.Replace("mode: STRICT", "mode: STRICTEST", StringComparison.Ordinal));

        var result = await MeshworkAsync("apply", "-f", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches($@"{System.Text.RegularExpressions.Regex.Escape(path)}:\d+:\d+: error:", result.Err);
        Assert.Contains("STRICTEST", result.Err);
        Assert.Equal("", result.Out);
        Assert.Contains("NotFound", (await MeshworkAsync("get", "ns", "foo")).Err);
    }

    [Fact]
    public async Task An_object_the_server_refuses_is_reported_at_its_line_and_nothing_is_applied()
    {
        var path = File("names.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: fine\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: Not_Valid\n");

        var result = await MeshworkAsync("apply", "-f", path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(path + ":", result.Err);
        Assert.Contains("Not_Valid", result.Err);
        Assert.Equal(1, (await MeshworkAsync("get", "sa", "fine")).ExitCode);
    }

    [Fact]
    public async Task Apply_with_a_namespace_flag_that_contradicts_the_file_is_refused()
    {
        var result = await MeshworkAsync("apply", "-n", "bar", "-f", File("mesh.yaml", Mesh));
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not match the namespace \"bar\"", result.Err);
    }

    [Fact]
    public async Task The_namespace_flag_works_before_the_verb_as_kubectl_users_type_it()
    {
        const string Sleep = """
            apiVersion: v1
            kind: Service
            metadata:
              name: sleep
            spec:
              selector:
                app: sleep
              ports:
              - port: 80
            """;
        await MeshworkAsync("create", "namespace", "noistio");

        var applied = await MeshworkAsync("-n", "noistio", "apply", "-f", File("sleep.yaml", Sleep));
        var before = await MeshworkAsync("--namespace", "noistio", "get", "svc", "sleep", "-o", "name");
        var equals = await MeshworkAsync("--namespace=noistio", "--context", "kind-meshwork", "get", "svc", "-o", "name");
        var after = await MeshworkAsync("get", "svc", "sleep", "-n", "noistio", "-o", "name");
        var elsewhere = await MeshworkAsync("get", "svc", "sleep", "-o", "name");

        Assert.Equal(0, applied.ExitCode);
        Assert.Equal("service/sleep created\n", applied.Out);
        Assert.Equal("service/sleep\n", before.Out);
        Assert.Equal("service/sleep\n", equals.Out);
        Assert.Equal("service/sleep\n", after.Out);
        Assert.Equal(1, elsewhere.ExitCode);
        Assert.Contains("not found", elsewhere.Err);
    }

    [Fact]
    public async Task Create_namespace_and_label_it_like_kubectl()
    {
        Assert.Equal("namespace/legacy created\n", (await MeshworkAsync("create", "ns", "legacy")).Out);
        var duplicate = await MeshworkAsync("create", "namespace", "legacy");
        Assert.Equal(1, duplicate.ExitCode);
        Assert.Contains("AlreadyExists", duplicate.Err);

        Assert.Equal("namespace/legacy labeled\n", (await MeshworkAsync("label", "namespace", "legacy", "istio-injection=enabled")).Out);
        Assert.Equal("enabled", (await MeshworkAsync("get", "ns", "legacy", "-o", "jsonpath={.metadata.labels.istio-injection}")).Out);

        var clash = await MeshworkAsync("label", "namespace", "legacy", "istio-injection=disabled");
        Assert.Equal(1, clash.ExitCode);
        Assert.Contains("--overwrite is false", clash.Err);
        Assert.Equal(0, (await MeshworkAsync("label", "namespace", "legacy", "istio-injection=disabled", "--overwrite")).ExitCode);

        Assert.Equal("namespace/legacy unlabeled\n", (await MeshworkAsync("label", "namespace", "legacy", "istio-injection-")).Out);
        var labels = (await MeshworkAsync("get", "ns", "legacy", "-o", "json")).Out;
        Assert.Null(JsonNode.Parse(labels)!["metadata"]!["labels"]);
    }

    [Fact]
    public async Task Create_secret_generic_from_files()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_work, "certs")).FullName;
        System.IO.File.WriteAllText(Path.Combine(dir, "ca-cert.pem"), "CERT");
        System.IO.File.WriteAllText(Path.Combine(dir, "root-cert.pem"), "ROOT");

        var created = await MeshworkAsync("create", "secret", "generic", "cacerts", "-n", "istio-system",
            $"--from-file={Path.Combine(dir, "ca-cert.pem")}", $"--from-file=root={Path.Combine(dir, "root-cert.pem")}");

        Assert.Equal("secret/cacerts created\n", created.Out);
        using var client = MeshApiClient.FromStateDirectory(_state);
        var secret = (Secret?)await client.GetAsync("secret", "istio-system", "cacerts");
        Assert.NotNull(secret);
        Assert.Equal("CERT", System.Text.Encoding.UTF8.GetString(secret.Data["ca-cert.pem"].AsSpan()));
        Assert.Equal("ROOT", System.Text.Encoding.UTF8.GetString(secret.Data["root"].AsSpan()));
    }

    [Fact]
    public async Task Create_secret_tls_stores_the_pair_and_refuses_a_key_of_another_certificate()
    {
        static (string Cert, string Key) SelfSigned(string host)
        {
            using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
            var request = new System.Security.Cryptography.X509Certificates.CertificateRequest($"CN={host}", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
            return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
        }
        var shop = SelfSigned("shop.example.com");
        var other = SelfSigned("other.example.com");
        var dir = Directory.CreateDirectory(Path.Combine(_work, "tls")).FullName;
        System.IO.File.WriteAllText(Path.Combine(dir, "shop.crt"), shop.Cert);
        System.IO.File.WriteAllText(Path.Combine(dir, "shop.key"), shop.Key);
        System.IO.File.WriteAllText(Path.Combine(dir, "other.key"), other.Key);

        var created = await MeshworkAsync("create", "secret", "tls", "shop-credential", "-n", "istio-system",
            $"--cert={Path.Combine(dir, "shop.crt")}", $"--key={Path.Combine(dir, "shop.key")}");
        Assert.Equal("secret/shop-credential created\n", created.Out);
        using var client = MeshApiClient.FromStateDirectory(_state);
        var secret = (Secret?)await client.GetAsync("secret", "istio-system", "shop-credential");
        Assert.NotNull(secret);
        Assert.Equal("kubernetes.io/tls", secret.Type);
        Assert.Equal(shop.Cert, System.Text.Encoding.ASCII.GetString(secret.Data["tls.crt"].AsSpan()));
        Assert.Equal(shop.Key, System.Text.Encoding.ASCII.GetString(secret.Data["tls.key"].AsSpan()));

        var mismatched = await MeshworkAsync("create", "secret", "tls", "wrong-credential", "-n", "istio-system",
            $"--cert={Path.Combine(dir, "shop.crt")}", $"--key={Path.Combine(dir, "other.key")}");
        Assert.NotEqual(0, mismatched.ExitCode);
        Assert.Contains("failed to load key pair", mismatched.Err, StringComparison.Ordinal);
        Assert.Null(await client.GetAsync("secret", "istio-system", "wrong-credential"));
    }

    [Fact]
    public async Task An_unknown_kind_is_named_in_the_error()
    {
        var result = await MeshworkAsync("get", "serviceentries");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("doesn't have a resource type \"serviceentries\"", result.Err);
    }

    [Fact]
    public async Task Without_a_control_plane_the_error_says_what_to_run()
    {
        var empty = new StateDirectory(Path.Combine(_work, "empty"));
        var result = await MeshworkAsync(empty, "get", "pods");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"no control plane is running for state directory {empty.Root}", result.Err);
    }
}
