using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <summary>
/// The real kubectl, with the kubeconfig the control plane writes, against a control plane on
/// 127.0.0.1: discovery, server-side tables, client-side apply (create, unchanged, configured),
/// label, delete and Kubernetes' error messages.
/// </summary>
public sealed partial class KubectlTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ControlPlaneFixture _cp = null!;
    private string _home = null!;
    private KubectlRunner _kubectl = null!;

    public async Task InitializeAsync()
    {
        _cp = await ControlPlaneFixture.StartAsync();
        _home = Directory.CreateTempSubdirectory("meshwork-kubectl-home-").FullName;
        _kubectl = new KubectlRunner(_cp.State.KubeconfigFile, _home);
    }

    public async Task DisposeAsync()
    {
        await _cp.DisposeAsync();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string Sample(string relativePath)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.slnx"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("Meshwork.slnx not found above the test assembly");
        return Path.Combine(dir.FullName, "samples", relativePath);
    }

    private string Copy(string sample, Func<string, string> edit)
    {
        var path = Path.Combine(_home, Path.GetFileName(sample));
        File.WriteAllText(path, edit(File.ReadAllText(sample)));
        return path;
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A table row's cells, split on kubectl's column padding.</summary>
    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void The_kubeconfig_is_private_to_its_owner_and_names_the_meshwork_context()
    {
        var text = File.ReadAllText(_cp.State.KubeconfigFile);
        Assert.Contains("current-context: meshwork", text);
        Assert.Contains($"server: \"{_cp.Url.ToString().TrimEnd('/')}\"", text);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cp.State.KubeconfigFile));
    }

    [Fact]
    public async Task Api_resources_lists_every_kind_with_its_short_name_group_and_scope()
    {
        var rows = Lines(await _kubectl.SucceedAsync("api-resources", "--no-headers")).Select(Cells).ToList();
        string[] Row(string plural) => Assert.Single(rows, r => r[0] == plural);

        Assert.Equal(["peerauthentications", "pa", "security.istio.io/v1", "true", "PeerAuthentication"], Row("peerauthentications"));
        Assert.Equal(["destinationrules", "dr", "networking.istio.io/v1", "true", "DestinationRule"], Row("destinationrules"));
        Assert.Equal(["deployments", "deploy", "apps/v1", "true", "Deployment"], Row("deployments"));
        Assert.Equal(["namespaces", "ns", "v1", "false", "Namespace"], Row("namespaces"));
        Assert.Equal(["pods", "po", "v1", "true", "Pod"], Row("pods"));
        foreach (var shortName in new[] { "vs", "gw", "ap", "svc", "sa" }) Assert.Contains(rows, r => r[1] == shortName);

        var version = JsonNode.Parse(await _kubectl.SucceedAsync("version", "-o", "json"))!;
        Assert.Equal("1", version["serverVersion"]!["major"]!.GetValue<string>());
    }

    [Fact]
    public async Task Apply_creates_then_reports_unchanged_then_configured_and_get_prints_kubectls_columns()
    {
        Assert.Contains("namespace/foo created", Lines(await _kubectl.SucceedAsync("apply", "-f", Sample("mtls-migration/namespaces.yaml"))));
        var httpbin = Sample("mtls-migration/httpbin.yaml");
        var strict = Sample("mtls-migration/mtls-ns.yaml");

        var created = Lines(await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", httpbin, "-f", strict));
        Assert.Equal(["serviceaccount/httpbin created", "service/httpbin created", "deployment.apps/httpbin created", "peerauthentication.security.istio.io/default created"], created);

        var again = Lines(await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", httpbin, "-f", strict));
        Assert.Equal(["serviceaccount/httpbin unchanged", "service/httpbin unchanged", "deployment.apps/httpbin unchanged", "peerauthentication.security.istio.io/default unchanged"], again);

        // One field changed in a CRD (merge patch) and one in a Deployment's container (strategic merge patch by name).
        var permissive = Copy(strict, y => y.Replace("STRICT", "PERMISSIVE", StringComparison.Ordinal));
        var moreReplicas = Copy(httpbin, y => y.Replace("replicas: 1", "replicas: 2", StringComparison.Ordinal).Replace("- containerPort: 8080", "- containerPort: 8080\n          name: http", StringComparison.Ordinal));
        var changed = Lines(await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", moreReplicas, "-f", permissive));
        Assert.Equal(["serviceaccount/httpbin unchanged", "service/httpbin unchanged", "deployment.apps/httpbin configured", "peerauthentication.security.istio.io/default configured"], changed);

        var pa = Lines(await _kubectl.SucceedAsync("get", "pa", "-A"));
        Assert.Equal(["NAMESPACE", "NAME", "MODE", "AGE"], Cells(pa[0]));
        Assert.Equal(["foo", "default", "PERMISSIVE"], Cells(pa[1])[..3]);

        var svc = Lines(await _kubectl.SucceedAsync("get", "svc", "-n", "foo"));
        Assert.Equal(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], Cells(svc[0]));
        Assert.Equal(["httpbin", "ClusterIP"], Cells(svc[1])[..2]);
        Assert.Contains("8000/TCP", svc[1]);

        var deployment = JsonNode.Parse(await _kubectl.SucceedAsync("get", "deploy", "httpbin", "-n", "foo", "-o", "json"))!;
        Assert.Equal(2, deployment["spec"]!["replicas"]!.GetValue<int>());
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("http", container["ports"]![0]!["name"]!.GetValue<string>());
        Assert.NotNull(container["command"] ?? container["args"]); // the strategic merge kept the fields the patch did not name
        Assert.Equal("PERMISSIVE", (await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "jsonpath={.spec.mtls.mode}")).Trim());
    }

    [Fact]
    public async Task Label_then_select_then_delete_then_get_reports_not_found_as_kubernetes_does()
    {
        var namespaces = Sample("mtls-migration/namespaces.yaml");
        await _kubectl.SucceedAsync("apply", "-f", namespaces);
        await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", Sample("mtls-migration/mtls-ns.yaml"));

        Assert.Equal("peerauthentication.security.istio.io/default labeled", (await _kubectl.SucceedAsync("label", "pa", "default", "-n", "foo", "team=security")).Trim());
        var selected = Lines(await _kubectl.SucceedAsync("get", "pa", "-A", "-l", "team=security", "--no-headers"));
        Assert.Equal(["foo", "default", "STRICT"], Cells(Assert.Single(selected))[..3]);
        Assert.Equal("No resources found", (await _kubectl.RunAsync("get", "pa", "-A", "-l", "team=other")).Stderr.Trim());

        var yaml = await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "yaml");
        Assert.Contains("team: security", yaml);

        Assert.Equal("peerauthentication.security.istio.io \"default\" deleted", (await _kubectl.SucceedAsync("delete", "pa", "default", "-n", "foo")).Trim());

        var missing = await _kubectl.RunAsync("get", "pa", "default", "-n", "foo");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error from server (NotFound): peerauthentications.security.istio.io \"default\" not found", missing.Stderr.Trim());

        var exists = await _kubectl.RunAsync("create", "-f", namespaces);
        Assert.Equal("Error from server (AlreadyExists): error when creating \"" + namespaces + "\": namespaces \"foo\" already exists", exists.Stderr.Split('\n')[0]);
    }

    [Fact]
    public async Task An_invalid_object_is_refused_with_the_field_named_in_kubectls_error()
    {
        await _kubectl.SucceedAsync("apply", "-f", Sample("mtls-migration/namespaces.yaml"));
        var invalid = Copy(Sample("mtls-migration/mtls-ns.yaml"), y => y.Replace("STRICT", "STRIKT", StringComparison.Ordinal));

        var result = await _kubectl.RunAsync("apply", "-n", "foo", "-f", invalid);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.StartsWith("The PeerAuthentication \"default\" is invalid:", result.Stderr);
        Assert.Contains("spec.mtls.mode", result.Stderr);
        Assert.Contains("STRIKT", result.Stderr);
        Assert.Contains("No resources found", (await _kubectl.RunAsync("get", "pa", "-n", "foo")).Stderr);
    }

    [Theory]
    [InlineData("customers")]
    [InlineData("hipstershop-permissive")]
    [InlineData("mtls-migration")]
    [InlineData("mtls-test")]
    public async Task Every_sample_manifest_applies_then_reports_unchanged_then_diff_shows_an_edit_that_apply_reports_configured(string folder)
    {
        var directory = Sample(folder);
        var files = Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal).ToList();
        var namespaces = files.Where(f => Path.GetFileName(f) == "namespaces.yaml").ToList();
        foreach (var file in namespaces.Concat(files.Except(namespaces)))
        {
            // Objects without a namespace land in the kubeconfig context's, "default".
            var first = Lines(await _kubectl.SucceedAsync("apply", "-f", file));
            Assert.NotEmpty(first);
            var second = Lines(await _kubectl.SucceedAsync("apply", "-f", file));
            Assert.True(second.Length == first.Length && second.All(l => l.EndsWith(" unchanged", StringComparison.Ordinal)),
                $"{folder}/{Path.GetFileName(file)}: the second apply printed\n{string.Join('\n', second)}");

            // One field changed in the first object: diff shows it, apply configures that object alone.
            var edited = Copy(file, EditFirstObject);
            var diff = await _kubectl.RunAsync("diff", "-f", edited);
            Assert.True(diff.ExitCode == 1, $"{folder}/{Path.GetFileName(file)}: kubectl diff should find the edit: {diff}");
            Assert.Matches(@"(?m)^\+\s+meshwork\.io/edited: ""?yes""?$", diff.Stdout);
            var third = Lines(await _kubectl.SucceedAsync("apply", "-f", edited));
            Assert.True(third.Length == first.Length && third[0].EndsWith(" configured", StringComparison.Ordinal)
                && third.Skip(1).All(l => l.EndsWith(" unchanged", StringComparison.Ordinal)),
                $"{folder}/{Path.GetFileName(file)}: the apply of the edit printed\n{string.Join('\n', third)}");
        }
    }

    /// <summary>Adds an annotation to the first document's object (no sample has top-level annotations).</summary>
    private static string EditFirstObject(string yaml)
    {
        var at = yaml.StartsWith("metadata:\n", StringComparison.Ordinal) ? 0 : yaml.IndexOf("\nmetadata:\n", StringComparison.Ordinal);
        Assert.True(at >= 0, "no top-level metadata");
        var end = yaml.IndexOf('\n', at + 1) + 1;
        return yaml[..end] + "  annotations:\n    meshwork.io/edited: \"yes\"\n" + yaml[end..];
    }

    [Fact]
    public async Task Get_watch_prints_a_row_when_an_object_changes()
    {
        await _kubectl.SucceedAsync("apply", "-f", Sample("mtls-migration/namespaces.yaml"));
        var strict = Sample("mtls-migration/mtls-ns.yaml");
        await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", strict);

        using var watch = _kubectl.Start("get", "pa", "-n", "foo", "-w");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            async Task<string[]> NextRowAsync() => Cells(await watch.StandardOutput.ReadLineAsync(timeout.Token) ?? "");

            Assert.Equal(["NAME", "MODE", "AGE"], await NextRowAsync());
            Assert.Equal(["default", "STRICT"], (await NextRowAsync())[..2]);

            await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", Copy(strict, y => y.Replace("STRICT", "PERMISSIVE", StringComparison.Ordinal)));
            Assert.Equal(["default", "PERMISSIVE"], (await NextRowAsync())[..2]);

            // A change through `meshwork apply`'s path (the transactional apply) reaches the watch too.
            // The bound is generous for a loaded machine; the latency seen is printed, not judged.
            var disable = Meshwork.Model.Yaml.ManifestReader.Read(File.ReadAllText(strict).Replace("STRICT", "DISABLE", StringComparison.Ordinal), "edit", "foo");
            using var client = _cp.Client();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await client.ApplyWithOutcomesAsync(disable.Resources, "foo");
            Assert.Equal(["default", "DISABLE"], (await NextRowAsync())[..2]);
            output.WriteLine($"kubectl get -w printed the change {clock.ElapsedMilliseconds} ms after meshwork apply returned");
        }
        finally
        {
            watch.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Logs_prints_a_containers_output_with_tail_and_follow()
    {
        await _kubectl.SucceedAsync("apply", "-f", Sample("mtls-migration/namespaces.yaml"));
        var pod = Path.Combine(_home, "pod.yaml");
        File.WriteAllText(pod, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              namespace: foo
            spec:
              containers:
              - name: app
                image: app:1
              - name: istio-proxy
                image: proxy:1
            """);
        await _kubectl.SucceedAsync("apply", "-f", pod);
        var appLog = _cp.State.ContainerLogFile("foo", "web", "app");
        Directory.CreateDirectory(Path.GetDirectoryName(appLog)!);
        File.WriteAllText(appLog, "one\ntwo\nthree\n");
        File.WriteAllText(_cp.State.ContainerLogFile("foo", "web", "istio-proxy"), "proxy ready\n");

        Assert.Equal(["two", "three"], Lines(await _kubectl.SucceedAsync("logs", "web", "-n", "foo", "-c", "app", "--tail", "2")));
        Assert.Equal(["proxy ready"], Lines(await _kubectl.SucceedAsync("logs", "web", "-n", "foo", "-c", "istio-proxy")));
        var defaulted = await _kubectl.RunAsync("logs", "web", "-n", "foo");
        Assert.Equal(["one", "two", "three"], Lines(defaulted.Stdout));
        Assert.Contains("Defaulted container \"app\"", defaulted.Stderr);
        Assert.Contains("(NotFound): pods \"nope\" not found", (await _kubectl.RunAsync("logs", "nope", "-n", "foo")).Stderr);

        using var follow = _kubectl.Start("logs", "web", "-n", "foo", "-c", "app", "-f", "--tail", "1");
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            Assert.Equal("three", await follow.StandardOutput.ReadLineAsync(timeout.Token));
            File.AppendAllText(appLog, "four\n");
            Assert.Equal("four", await follow.StandardOutput.ReadLineAsync(timeout.Token));
        }
        finally
        {
            follow.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Diff_and_server_dry_runs_show_a_change_without_making_it()
    {
        await _kubectl.SucceedAsync("apply", "-f", Sample("mtls-migration/namespaces.yaml"));
        var strict = Sample("mtls-migration/mtls-ns.yaml");
        await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", strict);
        var permissive = Copy(strict, y => y.Replace("STRICT", "PERMISSIVE", StringComparison.Ordinal));

        var diff = await _kubectl.RunAsync("diff", "-n", "foo", "-f", permissive);
        Assert.True(diff.ExitCode == 1, diff.ToString()); // kubectl diff exits 1 when it found a difference
        Assert.Contains("-    mode: STRICT", diff.Stdout);
        Assert.Contains("+    mode: PERMISSIVE", diff.Stdout);

        Assert.Equal("peerauthentication.security.istio.io/default configured (server dry run)",
            (await _kubectl.SucceedAsync("apply", "-n", "foo", "--dry-run=server", "-f", permissive)).Trim());
        Assert.Equal("peerauthentication.security.istio.io \"default\" deleted (server dry run)",
            (await _kubectl.SucceedAsync("delete", "pa", "default", "-n", "foo", "--dry-run=server")).Trim());
        Assert.Equal("STRICT", (await _kubectl.SucceedAsync("get", "pa", "default", "-n", "foo", "-o", "jsonpath={.spec.mtls.mode}")).Trim());
    }

    [Fact]
    public async Task The_tutorials_typed_creates_and_rollout_restart_work()
    {
        // kubectl's typed commands send protobuf.
        Assert.Equal("namespace/foo created", (await _kubectl.SucceedAsync("create", "ns", "foo")).Trim());
        Assert.Equal("secret/greeting created", (await _kubectl.SucceedAsync("create", "secret", "generic", "greeting", "-n", "foo", "--from-literal=text=hello")).Trim());
        Assert.Equal("aGVsbG8=", (await _kubectl.SucceedAsync("get", "secret", "greeting", "-n", "foo", "-o", "jsonpath={.data.text}")).Trim());
        await _kubectl.SucceedAsync("apply", "-n", "foo", "-f", Sample("mtls-migration/httpbin.yaml"));

        Assert.Equal("deployment.apps/httpbin restarted", (await _kubectl.SucceedAsync("rollout", "restart", "deployment/httpbin", "-n", "foo")).Trim());

        var restartedAt = await _kubectl.SucceedAsync("get", "deploy", "httpbin", "-n", "foo", "-o", "jsonpath={.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}");
        Assert.True(DateTimeOffset.TryParse(restartedAt.Trim(), System.Globalization.CultureInfo.InvariantCulture, out _), $"restartedAt: \"{restartedAt}\"");
    }
}
