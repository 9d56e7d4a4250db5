using System.Text.Json.Nodes;
using Meshwork.Api.Events;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <remarks>
/// Istio's CRDs as <c>kubectl get crd</c> lists them, and events: reported to the API as the
/// runtime reports them, shown by <c>kubectl describe</c> and listed by <c>kubectl get events</c>.
/// </remarks>
public sealed partial class KubectlTests
{
    [Fact]
    public async Task Get_crd_lists_the_istio_kinds_served_and_names_a_missing_one_as_kubernetes_does()
    {
        var names = Lines(await _kubectl.SucceedAsync("get", "crd", "--no-headers")).Select(l => Cells(l)[0]).Order().ToArray();
        Assert.Equal(
            ["authorizationpolicies.security.istio.io", "destinationrules.networking.istio.io", "gateways.networking.istio.io",
             "peerauthentications.security.istio.io", "sidecars.networking.istio.io", "virtualservices.networking.istio.io"],
            names);
        Assert.Equal(["NAME", "CREATED", "AT"], Cells(Lines(await _kubectl.SucceedAsync("get", "crds"))[0]));

        var definition = JsonNode.Parse(await _kubectl.SucceedAsync("get", "crd", "peerauthentications.security.istio.io", "-o", "json"))!;
        Assert.Equal("PeerAuthentication", definition["spec"]!["names"]!["kind"]!.GetValue<string>());
        Assert.Equal("pa", definition["spec"]!["names"]!["shortNames"]![0]!.GetValue<string>());
        Assert.Equal("Namespaced", definition["spec"]!["scope"]!.GetValue<string>());

        var missing = await _kubectl.RunAsync("get", "crd", "serviceentries.networking.istio.io");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("Error from server (NotFound): customresourcedefinitions.apiextensions.k8s.io \"serviceentries.networking.istio.io\" not found", missing.Stderr.Trim());
    }

    [Fact]
    public async Task Describe_shows_the_events_reported_about_the_object_and_get_events_lists_them()
    {
        var pod = Path.Combine(_home, "pods.yaml");
        await File.WriteAllTextAsync(pod, """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: foo
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: sleep-1
              namespace: foo
              labels:
                app: sleep
            spec:
              containers:
              - name: sleep
                image: curlimages/curl
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: other-1
              namespace: foo
            spec:
              containers:
              - name: other
                image: curlimages/curl
            """);
        await _kubectl.SucceedAsync("apply", "-f", pod);

        using var client = _cp.Client();
        await using (var recorder = new ApiEventRecorder(client, _ => { }))
        {
            EventSubject Sleep() => new("Pod", "foo", "sleep-1") { FieldPath = "spec.containers{sleep}" };
            recorder.Record(new ObjectEvent { Subject = new("Pod", "foo", "sleep-1"), Type = ObjectEvent.Normal, Reason = "Scheduled", Message = "Successfully assigned foo/sleep-1 to node-a", Component = "default-scheduler" });
            recorder.Record(new ObjectEvent { Subject = Sleep(), Type = ObjectEvent.Normal, Reason = "Started", Message = "Started container sleep", Component = "kubelet", Host = "node-a" });
            for (var i = 0; i < 3; i++)
            {
                recorder.Record(new ObjectEvent { Subject = Sleep(), Type = ObjectEvent.Warning, Reason = "Unhealthy", Message = "Readiness probe failed", Component = "kubelet", Host = "node-a" });
            }
            recorder.Record(new ObjectEvent { Subject = new("Pod", "foo", "other-1"), Type = ObjectEvent.Normal, Reason = "Scheduled", Message = "Successfully assigned foo/other-1 to node-a", Component = "default-scheduler" });
        }

        var described = await _kubectl.SucceedAsync("describe", "pod", "sleep-1", "-n", "foo");
        Assert.Matches(@"(?m)^Name:\s+sleep-1$", described);
        Assert.Matches(@"(?m)^Events:$", described);
        Assert.Matches(@"(?m)^\s+Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned foo/sleep-1 to node-a$", described);
        Assert.Matches(@"(?m)^\s+Normal\s+Started\s+\S+\s+kubelet\s+Started container sleep$", described);
        // Three failed probes are one event counted three times, as the kubelet's aggregation makes them.
        Assert.Matches(@"(?m)^\s+Warning\s+Unhealthy\s+\S+ \(x3 over \S+\)\s+kubelet\s+Readiness probe failed$", described);
        Assert.DoesNotContain("other-1", described);

        var rows = Lines(await _kubectl.SucceedAsync("get", "events", "-n", "foo", "--no-headers")).Select(Cells).ToList();
        Assert.Equal(4, rows.Count);
        Assert.Contains(rows, r => r[1] == "Warning" && r[2] == "Unhealthy" && r[3] == "pod/sleep-1");
        Assert.Contains(rows, r => r[1] == "Normal" && r[2] == "Scheduled" && r[3] == "pod/other-1");

        var selected = JsonNode.Parse(await _kubectl.SucceedAsync("get", "events", "-n", "foo", "--field-selector", "involvedObject.name=other-1", "-o", "json"))!;
        Assert.Equal("other-1", Assert.Single(selected["items"]!.AsArray())!["involvedObject"]!["name"]!.GetValue<string>());

        var newer = JsonNode.Parse(await _kubectl.SucceedAsync("get", "events.v1.events.k8s.io", "-n", "foo", "--field-selector", "reason=Unhealthy", "-o", "json"))!;
        var unhealthy = Assert.Single(newer["items"]!.AsArray())!;
        Assert.Equal("Readiness probe failed", unhealthy["note"]!.GetValue<string>());
        Assert.Equal(3, unhealthy["deprecatedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_event_with_a_field_kubernetes_does_not_define_is_refused_by_name()
    {
        using var http = _cp.RawClient();
        var (code, status) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/default/events", """
            {"apiVersion":"v1","kind":"Event","metadata":{"name":"x","namespace":"default"},
             "involvedObject":{"kind":"Pod","name":"p","namespace":"default"},"reason":"Started","message":"m","colour":"red"}
            """);
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, code);
        Assert.Equal("Invalid", status["reason"]!.GetValue<string>());
        Assert.Contains("unknown field \"colour\"", status["message"]!.GetValue<string>());

        var (elsewhere, _) = await ControlPlaneFixture.SendAsync(http, HttpMethod.Post, "/api/v1/namespaces/other/events", """
            {"involvedObject":{"kind":"Pod","name":"p","namespace":"default"},"reason":"Started","message":"m"}
            """);
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, elsewhere);
    }
}
