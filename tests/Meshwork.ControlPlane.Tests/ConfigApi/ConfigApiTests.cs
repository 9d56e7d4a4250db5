using System.Collections.Immutable;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.ControlPlane.Tests.ConfigApi;

public sealed class ConfigApiTests : IAsyncLifetime
{
    private ControlPlaneFixture _cp = null!;

    public async Task InitializeAsync() => _cp = await ControlPlaneFixture.StartAsync();

    public async Task DisposeAsync() => await _cp.DisposeAsync();

    private const string StrictFoo = """
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: default
          namespace: foo
        spec:
          mtls:
            mode: STRICT
        """;

    private static Resource Read(string yaml, string? ns = "default")
    {
        var read = ManifestReader.Read(yaml, "test.yaml", ns);
        Assert.False(read.HasErrors, string.Join("\n", read.Errors));
        return Assert.Single(read.Resources);
    }

    [Fact]
    public async Task The_default_and_istio_system_namespaces_exist_from_the_first_start()
    {
        using var client = _cp.Client();
        var namespaces = await client.ListAsync("ns", null);
        Assert.Contains(namespaces, n => n.Metadata.Name == "default");
        Assert.Contains(namespaces, n => n.Metadata.Name == "istio-system");
    }

    [Fact]
    public async Task Create_get_replace_and_delete_through_the_kubernetes_shaped_paths()
    {
        using var http = _cp.RawClient();
        var (created, _) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/api/v1/namespaces", """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"foo"}}""");
        Assert.Equal(HttpStatusCode.Created, created);

        var (posted, pa) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/apis/security.istio.io/v1beta1/namespaces/foo/peerauthentications", StrictFoo, "application/yaml");
        Assert.Equal(HttpStatusCode.Created, posted);
        var version = pa["metadata"]!["resourceVersion"]!.GetValue<string>();
        Assert.False(string.IsNullOrEmpty(pa["metadata"]!["uid"]?.GetValue<string>()));

        // The same object is served under every version Istio serves.
        var (got, viaV1) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Get, "/apis/security.istio.io/v1/namespaces/foo/peerauthentications/default");
        Assert.Equal(HttpStatusCode.OK, got);
        Assert.Equal("STRICT", viaV1["spec"]!["mtls"]!["mode"]!.GetValue<string>());

        var permissive = StrictFoo.Replace("STRICT", "PERMISSIVE", StringComparison.Ordinal).Replace("  namespace: foo", $"  namespace: foo\n  resourceVersion: \"{version}\"", StringComparison.Ordinal);
        var (put, replaced) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Put, "/apis/security.istio.io/v1beta1/namespaces/foo/peerauthentications/default", permissive, "application/yaml");
        Assert.Equal(HttpStatusCode.OK, put);
        Assert.Equal("PERMISSIVE", replaced["spec"]!["mtls"]!["mode"]!.GetValue<string>());
        Assert.Equal(2, replaced["metadata"]!["generation"]!.GetValue<long>());

        var (listed, list) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Get, "/apis/security.istio.io/v1beta1/peerauthentications");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Equal("PeerAuthenticationList", list["kind"]!.GetValue<string>());
        Assert.Single(list["items"]!.AsArray());

        var (deleted, _) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Delete, "/apis/security.istio.io/v1beta1/namespaces/foo/peerauthentications/default");
        Assert.Equal(HttpStatusCode.OK, deleted);
        var (gone, status) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Get, "/apis/security.istio.io/v1beta1/namespaces/foo/peerauthentications/default");
        Assert.Equal(HttpStatusCode.NotFound, gone);
        Assert.Equal("NotFound", status["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lists_filter_by_label_selector()
    {
        using var client = _cp.Client();
        await client.ApplyAsync(ManifestReader.Read("""
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: sleep, labels: {app: sleep}}
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata: {name: httpbin, labels: {app: httpbin}}
            """, "sa.yaml", "default").Resources);

        var sleep = await client.ListAsync("sa", "default", "app=sleep");
        Assert.Equal(["sleep"], sleep.Select(s => s.Metadata.Name));
    }

    [Fact]
    public async Task Requests_without_the_admin_token_are_unauthorized()
    {
        using var anonymous = _cp.RawClient(token: null);
        using var wrong = _cp.RawClient(token: "not-the-token");

        foreach (var client in new[] { anonymous, wrong })
        {
            var (code, status) = await ControlPlaneFixture.SendAsync(client, HttpMethod.Get, "/api/v1/namespaces");
            Assert.Equal(HttpStatusCode.Unauthorized, code);
            Assert.Equal("Status", status["kind"]!.GetValue<string>());
            Assert.Equal("Failure", status["status"]!.GetValue<string>());
            Assert.Equal("Unauthorized", status["reason"]!.GetValue<string>());
            Assert.Equal(401, status["code"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task A_partly_invalid_multi_document_apply_changes_nothing()
    {
        using var http = _cp.RawClient();
        var before = await RevisionAsync(http);
        var manifest = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: bar
            ---
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata:
              name: default
              namespace: bar
            spec:
              mtls:
                mode: STRICTEST
            """;

        var (code, status) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/meshwork/v1/apply", manifest, "application/yaml");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("Invalid", status["reason"]!.GetValue<string>());
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray());
        Assert.Contains("mode", cause!["field"]!.GetValue<string>());
        Assert.Equal(before, await RevisionAsync(http));
        using var client = _cp.Client();
        Assert.Null(await client.GetAsync("ns", null, "bar"));
    }

    [Fact]
    public async Task An_apply_refused_by_the_store_changes_nothing_and_names_the_item()
    {
        using var client = _cp.Client();
        var ok = Read("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: fine}");
        var bad = Read("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: fine, namespace: missing}");

        var error = await Assert.ThrowsAsync<MeshApiException>(() => client.ApplyWithOutcomesAsync([ok, bad]));

        Assert.Equal(404, error.StatusCode);
        Assert.Contains("namespaces \"missing\" not found", error.Message);
        Assert.Null(await client.GetAsync("sa", "default", "fine"));
    }

    [Fact]
    public async Task Malformed_yaml_is_a_bad_request()
    {
        using var http = _cp.RawClient();
        var (code, status) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/meshwork/v1/apply", "kind: [unclosed\n  - : :", "application/yaml");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("BadRequest", status["reason"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(status["message"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_unknown_kind_is_refused_by_name()
    {
        using var http = _cp.RawClient();
        var (code, status) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/meshwork/v1/apply",
            "apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: x}\n", "application/yaml");
        Assert.True(code is HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest, code.ToString());
        Assert.Contains("ServiceEntry", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unknown_resource_path_is_not_found()
    {
        using var http = _cp.RawClient();
        var (code, status) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Get, "/apis/networking.istio.io/v1/namespaces/default/serviceentries");
        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("NotFound", status["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_oversized_body_is_refused_with_413()
    {
        await using var small = await ControlPlaneFixture.StartAsync(maxBodyBytes: 64 * 1024);
        using var http = small.RawClient();
        var huge = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  blob: \"" + new string('x', 200 * 1024) + "\"\n";

        var (code, status) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/meshwork/v1/apply", huge, "application/yaml");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, code);
        Assert.Equal("RequestEntityTooLarge", status["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Two_writers_racing_on_one_resource_version_get_exactly_one_conflict()
    {
        using var client = _cp.Client();
        var original = (await client.ApplyAsync([Read("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\ndata: {v: zero}")]))[0];

        var attempts = Enumerable.Range(1, 2).Select(i => Task.Run(async () =>
        {
            using var writer = _cp.Client();
            try
            {
                await writer.PutAsync(((ConfigMap)original) with { Data = ((ConfigMap)original).Data.SetItem("v", $"writer-{i}") });
                return 0;
            }
            catch (MeshApiException e)
            {
                return e.StatusCode;
            }
        })).ToArray();
        var codes = await Task.WhenAll(attempts);

        Assert.Single(codes, c => c == 0);
        Assert.Single(codes, c => c == 409);
    }

    [Fact]
    public async Task A_watch_resumes_from_a_resource_version()
    {
        using var client = _cp.Client();
        var first = (await client.ApplyAsync([Read("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}")]))[0];
        await client.ApplyAsync([Read("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: two}")]);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        await using var watch = client.WatchAsync("configmaps", "default", first.Metadata.ResourceVersion, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync());
        Assert.Equal((WatchEventType.Added, "two"), (watch.Current.Type, watch.Current.Object.Metadata.Name));

        var next = watch.MoveNextAsync().AsTask();
        await client.DeleteAsync("cm", "default", "one");
        Assert.True(await next);
        Assert.Equal((WatchEventType.Deleted, "one"), (watch.Current.Type, watch.Current.Object.Metadata.Name));
    }

    [Fact]
    public async Task The_mesh_state_follows_applies()
    {
        using var client = _cp.Client();
        var known = _cp.Running.Mesh.Revision;
        await client.ApplyAsync(ManifestReader.Read("apiVersion: v1\nkind: Namespace\nmetadata: {name: foo}\n---\n" + StrictFoo, "pa.yaml").Resources);

        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!_cp.Running.Mesh.Current.PeerAuthentications.Any())
        {
            await _cp.Running.Mesh.WaitForChangeAsync(known, cts.Token);
            known = _cp.Running.Mesh.Revision;
        }
        Assert.Equal(MtlsMode.Strict, _cp.Running.Mesh.Current.PeerAuthentications.Single().Spec.Mode);
    }

    [Fact]
    public async Task The_api_speaks_http2()
    {
        using var http = _cp.RawClient(version: HttpVersion.Version20);
        using var response = await http.GetAsync("/api/v1/namespaces");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
    }

    [Fact]
    public async Task Restarting_keeps_configuration_token_and_ca_root()
    {
        using (var client = _cp.Client())
        {
            await client.ApplyAsync(ManifestReader.Read("apiVersion: v1\nkind: Namespace\nmetadata: {name: foo}\n---\n" + StrictFoo, "pa.yaml").Resources);
        }
        var root = await File.ReadAllTextAsync(_cp.State.RootCertFile);
        var token = await File.ReadAllTextAsync(_cp.State.AdminTokenFile);

        await _cp.Running.StopAsync();
        Assert.False(File.Exists(_cp.State.ServerInfoFile));
        await _cp.RestartAsync();

        Assert.True(File.Exists(_cp.State.ServerInfoFile));
        Assert.Equal(root, await File.ReadAllTextAsync(_cp.State.RootCertFile));
        Assert.Equal(token, await File.ReadAllTextAsync(_cp.State.AdminTokenFile));
        using var again = _cp.Client();
        var pa = (PeerAuthentication?)await again.GetAsync("pa", "foo", "default");
        Assert.NotNull(pa);
        Assert.Equal(MtlsMode.Strict, pa.Spec.Mode);
    }

    [Fact]
    public async Task A_plugged_in_ca_directory_becomes_the_mesh_root()
    {
        var testCa = Meshwork.Testing.TestCertificateAuthority.Create(name: "Plugged");
        var cacerts = Directory.CreateTempSubdirectory("meshwork-cacerts-").FullName;
        testCa.WriteCaCerts(cacerts);
        var state = new StateDirectory(Directory.CreateTempSubdirectory("meshwork-cp-").FullName);
        try
        {
            await using var running = await ControlPlane.Hosting.ControlPlaneHost.StartAsync(
                ControlPlaneFixture.Options(state) with { CacertsDirectory = cacerts }, CancellationToken.None);

            Assert.Equal(testCa.Root.Thumbprint, RootThumbprint(state));
            using var client = MeshApiClient.FromStateDirectory(state);
            Assert.NotEmpty(await client.ListAsync("ns", null));
        }
        finally
        {
            Directory.Delete(cacerts, recursive: true);
            Directory.Delete(state.Root, recursive: true);
        }
    }

    [Fact]
    public async Task The_cacerts_secret_in_istio_system_is_used_after_a_restart_as_istiod_does()
    {
        var testCa = Meshwork.Testing.TestCertificateAuthority.Create(name: "Secret");
        var files = Directory.CreateTempSubdirectory("meshwork-cacerts-").FullName;
        testCa.WriteCaCerts(files);
        using (var client = _cp.Client())
        {
            await client.CreateAsync(new Secret
            {
                ApiVersion = "v1",
                Metadata = new ObjectMeta { Name = "cacerts", Namespace = "istio-system" },
                Data = Directory.GetFiles(files).ToImmutableSortedDictionary(f => Path.GetFileName(f), f => File.ReadAllBytes(f).ToImmutableArray()),
            });
        }
        Directory.Delete(files, recursive: true);
        Assert.NotEqual(testCa.Root.Thumbprint, RootThumbprint(_cp.State));

        await _cp.RestartAsync();

        Assert.Equal(testCa.Root.Thumbprint, RootThumbprint(_cp.State));
        using var after = _cp.Client();
        Assert.NotNull(await after.GetAsync("secret", "istio-system", "cacerts"));
    }

    private static string RootThumbprint(StateDirectory state) =>
        System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(state.RootCertFile)).Thumbprint;

    [Fact]
    public void The_admin_token_is_private_to_its_owner()
    {
        if (OperatingSystem.IsWindows()) return;
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_cp.State.AdminTokenFile));
    }

    [Fact]
    public async Task The_client_says_what_to_run_when_no_control_plane_is_running()
    {
        var empty = new StateDirectory(Directory.CreateTempSubdirectory("meshwork-empty-").FullName);
        try
        {
            var error = Assert.Throws<MeshApiException>(() => MeshApiClient.FromStateDirectory(empty));
            Assert.Contains($"no control plane is running for state directory {empty.Root}", error.Message);
            Assert.Contains("meshwork server", error.Message);
        }
        finally
        {
            Directory.Delete(empty.Root, recursive: true);
        }
    }

    [Fact]
    public async Task The_client_trusts_only_the_mesh_root()
    {
        await using var other = await ControlPlaneFixture.StartAsync();
        // A state directory that names this control plane but holds another mesh's root.
        var impostor = new StateDirectory(Directory.CreateTempSubdirectory("meshwork-impostor-").FullName);
        try
        {
            File.Copy(_cp.State.ServerInfoFile, impostor.ServerInfoFile);
            File.Copy(_cp.State.AdminTokenFile, impostor.AdminTokenFile);
            File.Copy(other.State.RootCertFile, impostor.RootCertFile);
            using var client = MeshApiClient.FromStateDirectory(impostor);

            var error = await Assert.ThrowsAsync<MeshApiException>(() => client.ListAsync("ns", null));

            Assert.Contains("did not prove", error.Message);
        }
        finally
        {
            Directory.Delete(impostor.Root, recursive: true);
        }
    }

    private static async Task<string> RevisionAsync(HttpClient http)
    {
        var (_, list) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Get, "/api/v1/namespaces");
        return list["metadata"]!["resourceVersion"]!.GetValue<string>();
    }
}
