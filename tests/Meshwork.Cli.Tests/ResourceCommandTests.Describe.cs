using Meshwork.Api;
using Meshwork.Api.Events;

namespace Meshwork.Cli.Tests;

/// <remarks>describe in kubectl's human layout, with the events the API keeps about the object.</remarks>
public sealed partial class ResourceCommandTests
{
    [Fact]
    public async Task Describe_of_an_istio_kind_prints_kubectls_generic_layout_with_the_spec_title_cased()
    {
        await MeshworkAsync("apply", "-f", File("mesh.yaml", Mesh));
        var described = await MeshworkAsync("describe", "pa", "default", "-n", "foo");
        Assert.Equal(0, described.ExitCode);
        Assert.Contains("Name:         default\nNamespace:    foo\nLabels:       <none>\nAnnotations:  <none>\nAPI Version:  security.istio.io/v1beta1\nKind:         PeerAuthentication\n", described.Out);
        Assert.Contains("Spec:\n  Mtls:\n    Mode:  STRICT\nEvents:  <none>\n", described.Out);
        Assert.Matches(@"(?m)^Metadata:\n  Creation Timestamp:\s+\S+", described.Out);
    }

    [Fact]
    public async Task Describe_of_a_deployment_a_service_and_a_pod_prints_kubectls_sections_and_the_objects_events()
    {
        await MeshworkAsync("apply", "-f", File("mesh.yaml", Mesh + """

            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: httpbin-5d8f7b9c4-abcde
              namespace: foo
              labels:
                app: httpbin
                pod-template-hash: 5d8f7b9c4
            spec:
              containers:
              - name: httpbin
                image: docker.io/kennethreitz/httpbin
                ports:
                - containerPort: 80
            """));
        using (var client = MeshApiClient.FromStateDirectory(_state))
        {
            await using var recorder = new ApiEventRecorder(client, _ => { });
            recorder.Record(new ObjectEvent
            {
                Subject = new EventSubject("Deployment", "foo", "httpbin"), Type = ObjectEvent.Normal, Reason = "ScalingReplicaSet",
                Message = "Scaled up replica set httpbin-5d8f7b9c4 to 1 from 0", Component = "deployment-controller",
            });
            recorder.Record(new ObjectEvent
            {
                Subject = new EventSubject("Pod", "foo", "httpbin-5d8f7b9c4-abcde") { FieldPath = "spec.containers{httpbin}" }, Type = ObjectEvent.Warning,
                Reason = "BackOff", Message = "Back-off restarting failed container httpbin in pod httpbin-5d8f7b9c4-abcde_foo", Component = "kubelet",
            });
        }

        var deployment = await MeshworkAsync("describe", "deploy", "httpbin", "-n", "foo");
        Assert.Equal(0, deployment.ExitCode);
        Assert.Matches(@"(?m)^Name:\s+httpbin\nNamespace:\s+foo\nCreationTimestamp:\s+\w{3}, \d\d \w{3} \d{4} [\d:]{8} \+0000$", deployment.Out);
        Assert.Matches(@"(?m)^Selector:\s+app=httpbin$", deployment.Out);
        Assert.Matches(@"(?m)^Replicas:\s+1 desired \| \d+ updated \| \d+ total \| \d+ available \| \d+ unavailable$", deployment.Out);
        Assert.Matches(@"(?m)^Pod Template:\n  Labels:\s+app=httpbin\n", deployment.Out);
        Assert.Matches(@"(?m)^    httpbin:\n      Image:\s+docker.io/kennethreitz/httpbin\n      Port:\s+80/TCP$", deployment.Out);
        Assert.Matches(@"(?m)^Events:\n  Type\s+Reason\s+Age\s+From\s+Message\n  ----\s+------\s+----\s+----\s+-------\n  Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set httpbin-5d8f7b9c4 to 1 from 0$", deployment.Out);

        var service = await MeshworkAsync("describe", "svc", "httpbin", "-n", "foo");
        Assert.Equal(0, service.ExitCode);
        Assert.Matches(@"(?m)^Selector:\s+app=httpbin\nType:\s+ClusterIP$", service.Out);
        Assert.Matches(@"(?m)^Port:\s+http  8000/TCP\nTargetPort:\s+80/TCP$", service.Out);
        Assert.Matches(@"(?m)^Events:\s+<none>\n\z", service.Out);

        var pod = await MeshworkAsync("describe", "pod", "httpbin-5d8f7b9c4-abcde", "-n", "foo");
        Assert.Equal(0, pod.ExitCode);
        Assert.Matches(@"(?m)^Labels:\s+app=httpbin\n\s+pod-template-hash=5d8f7b9c4$", pod.Out);
        Assert.Matches(@"(?m)^Controlled By:\s+ReplicaSet/httpbin-5d8f7b9c4$", pod.Out);
        Assert.Matches(@"(?m)^Containers:\n  httpbin:\n    Image:\s+docker.io/kennethreitz/httpbin$", pod.Out);
        Assert.Matches(@"(?m)^    Restart Count:\s+0$", pod.Out);
        Assert.Matches(@"(?m)^Conditions:\n  Type\s+Status\n  Initialized\s+True\n  Ready\s+False$", pod.Out);
        Assert.Matches(@"(?m)^  Warning\s+BackOff\s+\S+\s+kubelet\s+Back-off restarting failed container httpbin in pod httpbin-5d8f7b9c4-abcde_foo$", pod.Out);
    }
}
