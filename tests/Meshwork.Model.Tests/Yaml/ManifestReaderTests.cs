using System.Text;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Yaml;

public class ManifestReaderTests
{
    private const string StrictPa = """
        apiVersion: security.istio.io/v1beta1
        kind: PeerAuthentication
        metadata:
          name: default
        spec:
          mtls:
            mode: STRICT
        """;

    [Fact]
    public void Multi_document_yaml_gives_every_resource_in_order_and_skips_empty_documents()
    {
        var text = """
            ---
            # only a comment
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: foo
            ---
            ---
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: sleep
            """;
        var result = TestRead.Yaml(text, "foo");
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.Collection(result.Resources,
            r => Assert.Equal("Namespace/foo", r.Ref),
            r => Assert.Equal("ServiceAccount/foo/sleep", r.Ref));
        Assert.Equal(4, result.Resources[1].Source!.Document);
        Assert.Equal(10, result.Resources[1].Source!.Line);
    }

    [Fact]
    public void Default_namespace_fills_only_namespaced_kinds_that_name_none()
    {
        var text = """
            apiVersion: v1
            kind: Namespace
            metadata: {name: foo}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: a}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: b, namespace: bar}
            """;
        var withDefault = TestRead.Yaml(text, "foo").Resources;
        Assert.Equal([null, "foo", "bar"], withDefault.Select(r => r.Metadata.Namespace));
        var withoutDefault = TestRead.Yaml(text).Resources;
        Assert.Equal([null, null, "bar"], withoutDefault.Select(r => r.Metadata.Namespace));
    }

    [Fact]
    public void Store_bookkeeping_in_metadata_is_kept()
    {
        var cm = TestRead.One<ConfigMap>("""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: a
              namespace: foo
              creationTimestamp: "2026-03-04T05:06:07Z"
              resourceVersion: "42"
              uid: 6f1c-aa
              generation: 3
              managedFields: []
            data:
              k: v
            """);
        Assert.Equal(new DateTimeOffset(2026, 3, 4, 5, 6, 7, TimeSpan.Zero), cm.Metadata.CreationTimestamp);
        Assert.Equal(("42", "6f1c-aa", 3L), (cm.Metadata.ResourceVersion, cm.Metadata.Uid, cm.Metadata.Generation));
        Assert.Equal("v", cm.Data["k"]);
    }

    [Fact]
    public void Malformed_yaml_is_one_error_at_the_parser_position()
    {
        var text = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: [foo\n";
        var result = TestRead.Yaml(text);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(Severity.Error, error.Severity);
        Assert.Equal(5, error.Line);
        Assert.StartsWith("invalid YAML", error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Resources);
    }

    /// <summary>Found by the manifest fuzz target: YamlDotNet throws InvalidOperationException or ArgumentException on
    /// these, which escaped the reader (a stack trace from `meshwork apply`, a 500 from the config API).</summary>
    [Theory]
    [InlineData("a: {b:\nc}")]
    [InlineData("a: !<> b\n")]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata: {name:\nfoo}\n")]
    public void A_flow_mapping_the_yaml_scanner_chokes_on_is_one_invalid_yaml_error(string text)
    {
        var result = TestRead.Yaml(text);
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal(Severity.Error, error.Severity);
        Assert.StartsWith("invalid YAML", error.Message, StringComparison.Ordinal);
        Assert.Empty(result.Resources);
    }

    [Fact]
    public void Malformed_yaml_in_a_later_document_names_that_document()
    {
        var text = StrictPa + "\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: 'foo\n";
        var error = Assert.Single(TestRead.Yaml(text).Diagnostics);
        Assert.Equal(2, error.Document);
        Assert.Equal(12, error.Line);
    }

    [Fact]
    public void Tab_indentation_is_a_syntax_error_with_its_line()
    {
        var error = TestRead.OneError("apiVersion: v1\nkind: Namespace\nmetadata:\n\tname: foo\n");
        Assert.Equal((4, 1), (error.Line, error.Column));
        Assert.Equal("YAML indentation must use spaces, not tabs", error.Hint);
    }

    [Fact]
    public void Every_error_of_every_document_is_reported_at_once()
    {
        var text = """
            apiVersion: security.istio.io/v1beta1
            kind: PeerAuthentication
            metadata:
              name: Bad_Name
            spec:
              mtls:
                mode: strict
              portLevelMtls:
                8080:
                  mode: DISABLE
            ---
            apiVersion: networking.istio.io/v1beta1
            kind: DestinationRule
            metadata:
              name: dr
            spec:
              trafficPolicy:
                tls:
                  mode: ISTIO_MUTUAL
            ---
            apiVersion: v1
            kind: Namespace
            metadata:
              name: fine
            """;
        var result = TestRead.Yaml(text);
        var errors = result.Errors.Select(e => (e.Document, e.Path)).ToList();
        Assert.Equal(
            [(1, "metadata.name"), (1, "spec.mtls.mode"), (1, "spec.portLevelMtls"), (2, "spec.host")],
            errors);
        // Documents with errors are left out; the good one is still read.
        Assert.Equal("Namespace/fine", Assert.Single(result.Resources).Ref);
    }

    [Fact]
    public void Diagnostic_carries_file_document_line_column_path_and_hint()
    {
        var text = "apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata:\n  name: p\nspec:\n  mtls:\n    mode: STRICTT\n";
        var error = Assert.Single(ManifestReader.Read(text, "policies/pa.yaml").Errors);
        Assert.Equal(("policies/pa.yaml", 1, 7, 11, "spec.mtls.mode"), (error.File, error.Document, error.Line, error.Column, error.Path));
        Assert.Equal("invalid value \"STRICTT\"", error.Message);
        Assert.Contains("UNSET, DISABLE, PERMISSIVE, STRICT", error.Hint, StringComparison.Ordinal);
        Assert.Equal("policies/pa.yaml:7:11: error: document 1: spec.mtls.mode: invalid value \"STRICTT\" (hint: valid values: UNSET, DISABLE, PERMISSIVE, STRICT)", error.ToString());
    }

    [Theory]
    [InlineData("kind: Namespace\nmetadata: {name: a}\n", "apiVersion", "missing apiVersion")]
    [InlineData("apiVersion: v1\nmetadata: {name: a}\n", "kind", "missing kind")]
    [InlineData("apiVersion: v1\nkind: Namespace\n", "metadata", "missing metadata")]
    [InlineData("apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n", "metadata.name", "missing metadata.name")]
    public void Missing_identity_fields_are_errors(string text, string path, string message)
    {
        var error = TestRead.Yaml(text).Errors.First();
        Assert.Equal((path, message), (error.Path, error.Message));
    }

    [Fact]
    public void Unknown_kind_lists_the_supported_kinds_and_suggests_the_closest()
    {
        var error = TestRead.OneError("apiVersion: security.istio.io/v1\nkind: PeerAuthentications\nmetadata: {name: a}\n");
        Assert.Equal(("kind", "unknown kind \"PeerAuthentications\""), (error.Path, error.Message));
        Assert.StartsWith("did you mean PeerAuthentication?", error.Hint, StringComparison.Ordinal);
        Assert.Contains("AuthorizationPolicy", error.Hint, StringComparison.Ordinal);
        Assert.Contains("VirtualService", error.Hint, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("security.istio.io/v1beta1", "PeerAuthentication", true)]
    [InlineData("security.istio.io/v1", "AuthorizationPolicy", true)]
    [InlineData("security.istio.io/v1alpha1", "PeerAuthentication", false)]
    [InlineData("networking.istio.io/v1alpha3", "Gateway", true)]
    [InlineData("networking.istio.io/v1beta1", "DestinationRule", true)]
    [InlineData("networking.istio.io/v1", "VirtualService", true)]
    [InlineData("networking.istio.io/v1", "PeerAuthentication", false)]
    [InlineData("v1", "Deployment", false)]
    [InlineData("apps/v1", "Deployment", true)]
    [InlineData("extensions/v1beta1", "Deployment", false)]
    [InlineData("apps/v1", "Service", false)]
    public void Api_version_must_serve_the_kind(string apiVersion, string kind, bool served)
    {
        var result = TestRead.Yaml($"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: a}}\n");
        var versionErrors = result.Errors.Where(e => e.Path == "apiVersion").ToList();
        if (served)
        {
            Assert.Empty(versionErrors);
            Assert.Equal(apiVersion, result.Resources.FirstOrDefault()?.ApiVersion ?? apiVersion);
        }
        else
        {
            var error = Assert.Single(versionErrors);
            Assert.Equal($"apiVersion \"{apiVersion}\" does not serve kind {kind}", error.Message);
            Assert.StartsWith("use one of: ", error.Hint, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("spec:\n  mtls:\n    mod: STRICT\n", "spec.mtls.mod", "did you mean \"mode\"?")]
    [InlineData("spec:\n  selector:\n    matchLabel: {app: a}\n  mtls: {mode: STRICT}\n", "spec.selector.matchLabel", "did you mean \"matchLabels\"?")]
    [InlineData("spec:\n  portlevelmtls: {}\n", "spec.portlevelmtls", "did you mean \"portLevelMtls\"?")]
    [InlineData("spec:\n  mtls: {mode: STRICT}\nextra: 1\n", "extra", null)]
    [InlineData("metadata2: {}\n", "metadata2", "did you mean \"metadata\"?")]
    public void Unknown_fields_are_errors_that_name_the_field(string tail, string path, string? hint)
    {
        var text = "apiVersion: security.istio.io/v1beta1\nkind: PeerAuthentication\n" + (tail.StartsWith("metadata2", StringComparison.Ordinal) ? "metadata: {name: p}\n" + tail : "metadata: {name: p}\n" + tail);
        var error = TestRead.OneError(text);
        Assert.Equal(path, error.Path);
        Assert.Equal($"unknown field \"{path.Split('.')[^1]}\"", error.Message);
        if (hint is not null) Assert.Equal(hint, error.Hint);
        else Assert.StartsWith("known fields here: ", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_field_error_points_at_the_key()
    {
        var error = TestRead.OneError("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80}]\n  selectr: {app: a}\n");
        Assert.Equal((6, 3, "spec.selectr"), (error.Line, error.Column, error.Path));
        Assert.Equal("did you mean \"selector\"?", error.Hint);
    }

    [Theory]
    [InlineData("networking.istio.io/v1", "DestinationRule", "spec:\n  host: r\n  trafficPolicy:\n    loadBalancer: {simple: ROUND_ROBIN}\n    connectionPool: {tcp: {maxConnections: 1}}\n    outlierDetection: {consecutive5xxErrors: 1}\n",
        new[] { "spec.trafficPolicy.loadBalancer", "spec.trafficPolicy.connectionPool", "spec.trafficPolicy.outlierDetection" })]
    [InlineData("networking.istio.io/v1", "VirtualService", "spec:\n  hosts: [r]\n  http:\n  - route: [{destination: {host: r}}]\n    retries: {attempts: 3}\n    fault: {abort: {httpStatus: 500}}\n    timeout: 5s\n    mirror: {host: m}\n",
        new[] { "spec.http[0].mirror" })]
    [InlineData("security.istio.io/v1", "AuthorizationPolicy", "spec:\n  targetRef: {kind: Gateway, name: gw}\n  action: DENY\n  rules: [{}]\n",
        new[] { "spec.targetRef" })]
    [InlineData("security.istio.io/v1", "AuthorizationPolicy", "spec:\n  targetRefs: [{kind: Service, name: s}]\n",
        new[] { "spec.targetRefs" })]
    [InlineData("apps/v1", "Deployment", "spec:\n  strategy: {type: Recreate}\n  selector: {matchLabels: {app: a}}\n  template:\n    metadata: {labels: {app: a}}\n    spec:\n      containers:\n      - name: a\n        image: x\n        imagePullPolicy: IfNotPresent\n        resources: {limits: {cpu: 1}}\n        startupProbe: {httpGet: {port: 80}}\n",
        new[] { "spec.strategy", "spec.template.spec.containers[0].imagePullPolicy", "spec.template.spec.containers[0].resources", "spec.template.spec.containers[0].startupProbe" })]
    public void Fields_istio_knows_but_meshwork_does_not_enforce_are_warnings_naming_them(string apiVersion, string kind, string spec, string[] paths)
    {
        var result = TestRead.Yaml($"apiVersion: {apiVersion}\nkind: {kind}\nmetadata: {{name: a}}\n{spec}");
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.Single(result.Resources);
        Assert.Equal(paths, result.Warnings.Select(w => w.Path));
        foreach (var w in result.Warnings)
        {
            Assert.Contains($"\"{w.Path.Split('.')[^1].Split('[')[0]}\"", w.Message, StringComparison.Ordinal);
            Assert.Contains("not enforced by Meshwork", w.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Quoted_and_unquoted_scalars_read_alike_where_the_type_allows()
    {
        var pa = TestRead.One<PeerAuthentication>("""
            apiVersion: "security.istio.io/v1beta1"
            kind: 'PeerAuthentication'
            metadata:
              name: "p"
              annotations:
                sidecar.istio.io/inject: "true"
            spec:
              selector:
                matchLabels:
                  "app": 'web'
              mtls:
                mode: "STRICT"
            """);
        Assert.Equal(MtlsMode.Strict, pa.Spec.Mode);
        Assert.Equal("true", pa.Metadata.Annotations["sidecar.istio.io/inject"]);
        Assert.Equal("web", pa.Spec.Selector!.MatchLabels["app"]);
    }

    [Theory]
    [InlineData("annotations:\n    sidecar.istio.io/inject: true", "metadata.annotations[sidecar.istio.io/inject]", "expected a string, got boolean true", "quote it: \"true\"")]
    [InlineData("labels:\n    version: 1.0", "metadata.labels[version]", "expected a string, got number 1.0", "quote it: \"1.0\"")]
    [InlineData("labels:\n    build: 42", "metadata.labels[build]", "expected a string, got integer 42", "quote it: \"42\"")]
    [InlineData("labels: [a]", "metadata.labels", "expected an object of strings, got a list", null)]
    public void Non_string_values_in_string_maps_are_errors_with_a_hint_to_quote(string meta, string path, string message, string? hint)
    {
        var error = TestRead.OneError($"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  {meta}\n");
        Assert.Equal((path, message, hint), (error.Path, error.Message, error.Hint));
    }

    [Fact]
    public void Wrong_types_are_errors_naming_what_was_expected()
    {
        var result = TestRead.Yaml("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            spec:
              replicas: "2"
              selector: {matchLabels: {app: a}}
              template:
                metadata: {labels: {app: a}}
                spec:
                  containers: {name: a}
            """);
        Assert.Equal(
            [("spec.replicas", "expected an integer, got string \"2\"", "remove the quotes: 2"),
             ("spec.template.spec.containers", "expected a list, got a object", "write the value as a list item: \"- value\""),
             ("spec.template.spec.containers", "missing containers", "a pod needs at least one container: containers: [{name: app, image: ..., command: [...]}]")],
            result.Errors.Select(e => (e.Path, e.Message, e.Hint)));
    }

    [Fact]
    public void Istio_port_numbers_may_be_quoted_and_port_level_keys_are_strings_or_numbers()
    {
        var pa = TestRead.One<PeerAuthentication>("""
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: p}
            spec:
              selector: {matchLabels: {app: httpbin}}
              portLevelMtls:
                "8080":
                  mode: DISABLE
                9090: {mode: STRICT}
                9091: {}
            """);
        Assert.Equal([(8080, MtlsMode.Disable), (9090, MtlsMode.Strict), (9091, MtlsMode.Unset)], pa.Spec.PortLevelMtls.Select(p => (p.Key, p.Value)));

        var dr = TestRead.One<DestinationRule>("""
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: d}
            spec:
              host: httpbin
              trafficPolicy:
                portLevelSettings:
                - port: {number: "8000"}
                  tls: {mode: DISABLE}
            """);
        Assert.Equal(8000, dr.Spec.TrafficPolicy!.PortLevelSettings[0].Port);
    }

    [Theory]
    [InlineData("targetPort: 8080", 8080, null)]
    [InlineData("targetPort: http-web", null, "http-web")]
    public void Target_port_is_a_number_or_a_name(string line, int? number, string? name)
    {
        var svc = TestRead.One<Service>($"apiVersion: v1\nkind: Service\nmetadata: {{name: s}}\nspec:\n  ports:\n  - port: 80\n    {line}\n");
        Assert.Equal((number, name), (svc.Spec.Ports[0].TargetPort?.Number, svc.Spec.Ports[0].TargetPort?.Name));
    }

    [Fact]
    public void Quoted_numeric_target_port_is_an_error_suggesting_to_unquote()
    {
        var error = TestRead.OneError("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: 80\n    targetPort: \"8080\"\n");
        Assert.Equal("spec.ports[0].targetPort", error.Path);
        Assert.Equal("remove the quotes to give port number 8080", error.Hint);
    }

    [Fact]
    public void Absent_target_port_stays_absent()
    {
        var svc = TestRead.One<Service>("apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: [{port: 80, name: http}]\n");
        Assert.Null(svc.Spec.Ports[0].TargetPort);
        Assert.Equal("TCP", svc.Spec.Ports[0].Protocol);
    }

    [Fact]
    public void Secret_data_is_decoded_and_string_data_wins_on_the_same_key()
    {
        var secret = TestRead.One<Secret>("""
            apiVersion: v1
            kind: Secret
            metadata: {name: cacerts}
            type: Opaque
            data:
              a: aGVsbG8=
              b: b2xk
            stringData:
              b: new
            """);
        Assert.Equal("hello", Encoding.UTF8.GetString(secret.Data["a"].AsSpan()));
        Assert.Equal("new", Encoding.UTF8.GetString(secret.Data["b"].AsSpan()));
    }

    [Fact]
    public void Secret_data_that_is_not_base64_is_an_error()
    {
        var error = TestRead.OneError("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  key.pem: not base64!\n");
        Assert.Equal(("data[key.pem]", "value is not valid base64", 5), (error.Path, error.Message, error.Line));
    }

    [Fact]
    public void Enum_values_use_istio_spelling_and_a_near_miss_is_suggested()
    {
        var error = TestRead.OneError("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: a}\nspec:\n  action: deny\n  rules: [{}]\n");
        Assert.Equal(("spec.action", "invalid value \"deny\""), (error.Path, error.Message));
        Assert.Equal("did you mean DENY? valid values: ALLOW, DENY, AUDIT, CUSTOM", error.Hint);
    }

    [Theory]
    [InlineData("DISABLE", ClientTlsMode.Disable)]
    [InlineData("SIMPLE", ClientTlsMode.Simple)]
    [InlineData("ISTIO_MUTUAL", ClientTlsMode.IstioMutual)]
    public void Client_tls_modes_read_with_istio_names(string mode, ClientTlsMode expected)
    {
        var dr = TestRead.One<DestinationRule>($"apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: {{name: d}}\nspec:\n  host: h\n  trafficPolicy:\n    tls:\n      mode: {mode}\n");
        Assert.Equal(expected, dr.Spec.TrafficPolicy!.Tls!.Mode);
    }

    [Fact]
    public void Json_object_reads_like_yaml()
    {
        var json = """
            {
              "apiVersion": "security.istio.io/v1beta1",
              "kind": "PeerAuthentication",
              "metadata": {"name": "default", "namespace": "foo"},
              "spec": {"mtls": {"mode": "PERMISSIVE"}}
            }
            """;
        var result = ManifestReader.Read(json, "pa.json");
        var pa = Assert.IsType<PeerAuthentication>(Assert.Single(result.Resources));
        Assert.Equal(MtlsMode.Permissive, pa.Spec.Mode);
        Assert.Equal(("pa.json", 1, 1), (pa.Source!.File, pa.Source.Line, pa.Source.Column));
    }

    [Fact]
    public void Json_array_and_kubernetes_list_give_each_item_with_paths_that_name_the_item()
    {
        var array = """
            [
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a"}},
              {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "B"}}
            ]
            """;
        var result = ManifestReader.Read(array, "list.json");
        Assert.Equal("Namespace/a", Assert.Single(result.Resources).Ref);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("[1].metadata.name", 3), (error.Path, error.Line));

        var list = """
            {"apiVersion": "v1", "kind": "List", "items": [
              {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "a"}},
              {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "b", "namespace": "x"}, "bogus": 1}
            ]}
            """;
        result = ManifestReader.Read(list, "list.json", "default");
        Assert.Equal("ServiceAccount/default/a", Assert.Single(result.Resources).Ref);
        error = Assert.Single(result.Errors);
        Assert.Equal(("items[1].bogus", 3, 95), (error.Path, error.Line, error.Column));
    }

    [Fact]
    public void Yaml_list_kind_is_expanded_too()
    {
        var text = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Namespace
              metadata: {name: a}
            - apiVersion: v1
              kind: Namespace
              metadata: {name: b}
            """;
        Assert.Equal(["a", "b"], TestRead.Yaml(text).Resources.Select(r => r.Metadata.Name));
    }

    [Fact]
    public void Malformed_json_is_one_error_with_its_line_and_column()
    {
        var result = ManifestReader.Read("{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Namespace\"\n  \"metadata\": {}\n}", "bad.json");
        var error = Assert.Single(result.Diagnostics);
        Assert.Equal((4, 3), (error.Line, error.Column));
        Assert.StartsWith("invalid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_keys_are_errors_at_the_second_key()
    {
        var error = TestRead.OneError("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n");
        Assert.Equal((5, 3, "metadata.name"), (error.Line, error.Column, error.Path));
        Assert.StartsWith("duplicate key \"name\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Anchors_and_merge_keys_resolve_as_kubectl_does()
    {
        var text = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: d
              labels: &labels {app: a, tier: web}
            spec:
              selector:
                matchLabels: *labels
              template:
                metadata:
                  labels:
                    <<: *labels
                    version: v1
                spec:
                  containers: [{name: a, image: x}]
            """;
        var d = TestRead.One<Deployment>(text);
        Assert.Equal(["app", "tier", "version"], d.Spec.Template.Labels.Keys);
    }

    [Fact]
    public void Pod_and_deployment_status_are_read()
    {
        var pod = TestRead.One<Pod>("""
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: foo}
            spec:
              serviceAccountName: web
              containers: [{name: web, image: x, ports: [{containerPort: 8080, name: http}]}]
            status:
              phase: Running
              podIP: 127.0.0.5
              startTime: "2026-01-02T03:04:05Z"
              hostIP: 127.0.0.1
              containerStatuses:
              - name: web
                ready: true
                restartCount: 2
                state: {running: {startedAt: "2026-01-02T03:04:06Z"}}
            """);
        Assert.Equal(("Running", "127.0.0.5"), (pod.Status.Phase, pod.Status.PodIP));
        var cs = Assert.Single(pod.Status.ContainerStatuses);
        Assert.Equal(("web", true, 2, "running"), (cs.Name, cs.Ready, cs.RestartCount, cs.State));

        var d = TestRead.One<Deployment>("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            spec:
              selector: {matchLabels: {app: a}}
              template: {metadata: {labels: {app: a}}, spec: {containers: [{name: a, image: x}]}}
            status:
              observedGeneration: 4
              replicas: 2
              readyReplicas: 1
              conditions: [{type: Available, status: "True"}]
            """);
        Assert.Equal((4L, 2, 1), (d.Status.ObservedGeneration, d.Status.Replicas, d.Status.ReadyReplicas));
    }

    [Fact]
    public void Invalid_pod_phase_is_an_error()
    {
        var error = TestRead.OneError("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: a, image: x}]\nstatus:\n  phase: Started\n");
        Assert.Equal("status.phase", error.Path);
        Assert.Contains("Pending, Running, Succeeded, Failed, Unknown", error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_yaml_document_that_is_not_an_object_is_an_error()
    {
        var error = TestRead.OneError("- a\n- b\n");
        Assert.Equal(1, error.Line);
        Assert.StartsWith("a document must be an object", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Virtual_service_matches_keep_their_kind_and_value()
    {
        var vs = TestRead.One<VirtualService>("""
            apiVersion: networking.istio.io/v1beta1
            kind: VirtualService
            metadata: {name: r}
            spec:
              hosts: [reviews]
              http:
              - name: api
                match:
                - uri: {prefix: /api}
                  method: {exact: GET}
                  headers: {x-user: {regex: "a.*"}}
                  port: 9080
                route:
                - destination: {host: reviews, subset: v2}
                  weight: 75
                - destination: {host: reviews, subset: v1}
                  weight: 25
              tcp:
              - route: [{destination: {host: db, port: {number: 5432}}}]
            """);
        var match = vs.Spec.Http[0].Match[0];
        Assert.Equal(("prefix:/api", "exact:GET", "regex:a.*", 9080), (match.Uri, match.Method, match.Headers["x-user"], match.Port));
        Assert.Equal([75, 25], vs.Spec.Http[0].Route.Select(r => r.Weight));
        Assert.Equal(5432, vs.Spec.Tcp[0].Route[0].Destination.Port);
    }

    [Fact]
    public void Authorization_source_fields_meshwork_cannot_evaluate_are_errors_not_silent()
    {
        var error = TestRead.OneError("""
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata: {name: a}
            spec:
              rules:
              - from:
                - source: {serviceAccounts: [foo/sleep]}
            """);
        Assert.Equal("spec.rules[0].from[0].source.serviceAccounts", error.Path);
        Assert.Contains("widen", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Kinds_istio_serves_but_meshwork_does_not_read_are_named_as_unsupported()
    {
        var error = TestRead.OneError("apiVersion: networking.istio.io/v1\nkind: ServiceEntry\nmetadata: {name: a}\n");
        Assert.Equal("kind ServiceEntry is not supported by Meshwork", error.Message);
    }

    [Fact]
    public void The_same_object_twice_in_one_file_is_a_warning_on_the_later_one()
    {
        var result = TestRead.Yaml(StrictPa + "\n---\n" + StrictPa.Replace("STRICT", "PERMISSIVE", StringComparison.Ordinal), "foo");
        Assert.Equal(2, result.Resources.Length);
        var warning = Assert.Single(result.Warnings);
        Assert.Equal((2, "metadata.name"), (warning.Document, warning.Path));
        Assert.Contains("PeerAuthentication/foo/default is also defined in document 1", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_list_reads_as_nothing()
    {
        var result = ManifestReader.Read("""{"apiVersion": "v1", "kind": "List", "items": []}""", "empty.json");
        Assert.Empty(result.Diagnostics);
        Assert.Empty(result.Resources);
    }

    [Fact]
    public void A_byte_order_mark_is_ignored_in_yaml_and_json()
    {
        Assert.Single(TestRead.Yaml("\uFEFF" + StrictPa).Resources);
        Assert.Single(ManifestReader.Read("\uFEFF{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}}", "bom.json").Resources);
    }

    [Theory]
    [InlineData("tls: {credentialName: cred}", "PASSTHROUGH")]
    [InlineData("tls: {mode: SIMPLE, credentialName: cred}", "SIMPLE")]
    public void Gateway_tls_mode_defaults_as_istio_enum_does(string tls, string mode)
    {
        var gw = TestRead.One<Gateway>($"apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {{name: g}}\nspec:\n  servers:\n  - port: {{number: 443, name: https, protocol: HTTPS}}\n    hosts: [\"*\"]\n    {tls}\n");
        Assert.Equal(mode, gw.Spec.Servers[0].Tls!.Mode);
    }

    [Fact]
    public void Aliases_that_expand_to_an_enormous_tree_are_refused_quickly()
    {
        // Each level holds ten references to the previous one: 10^9 nodes from eleven lines.
        var text = new System.Text.StringBuilder("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\nx:\n  l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n");
        for (var level = 1; level <= 9; level++)
        {
            text.Append($"  l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))}]\n");
        }
        var error = Assert.Single(TestRead.Yaml(text.ToString()).Diagnostics);
        Assert.Contains("larger than 3 MiB once its aliases are expanded", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aliases_of_long_strings_that_expand_past_3_MiB_are_refused_though_the_tree_is_small()
    {
        // 10^5 principals of 100 characters from a few lines: about 10 MB once expanded, from 111,111 nodes.
        var principal = "cluster.local/ns/foo/sa/" + new string('a', 76);
        var text = new System.Text.StringBuilder("apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: {name: p, namespace: foo}\nx:\n");
        text.Append($"  l0: &l0 [{string.Join(", ", Enumerable.Repeat(principal, 10))}]\n");
        for (var level = 1; level <= 4; level++)
            text.Append($"  l{level}: &l{level} [{string.Join(", ", Enumerable.Repeat($"*l{level - 1}", 10))}]\n");
        text.Append("spec:\n  rules:\n  - from:\n    - source:\n        principals: *l4\n");
        Assert.True(text.Length < 4096);

        var error = Assert.Single(TestRead.Yaml(text.ToString()).Diagnostics);
        Assert.Contains("larger than 3 MiB once its aliases are expanded", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Nesting_deeper_than_any_manifest_is_refused(bool json)
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        var text = json ? "{\"a\": " + deep + "}" : "a: " + deep + "\n";
        var error = Assert.Single(ManifestReader.Read(text, json ? "deep.json" : "deep.yaml").Diagnostics);
        Assert.Equal(Severity.Error, error.Severity);
    }

    [Fact]
    public void Yaml_flow_mappings_that_are_not_json_still_read_as_yaml()
    {
        var result = TestRead.Yaml("{apiVersion: v1, kind: Namespace, metadata: {name: a}}\n---\n{apiVersion: v1, kind: Namespace, metadata: {name: b}}\n");
        Assert.Equal(["a", "b"], result.Resources.Select(r => r.Metadata.Name));
    }
}
