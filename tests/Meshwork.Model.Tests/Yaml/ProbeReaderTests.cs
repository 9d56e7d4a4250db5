using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.Model.Tests.Yaml;

/// <summary>readinessProbe and livenessProbe are read as Kubernetes reads them, and refused where it refuses them.</summary>
public class ProbeReaderTests
{
    private static string PodWith(string container) => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: web, namespace: foo}
        spec:
          containers:
          - name: web
            image: x
            ports: [{containerPort: 8080, name: http}]
        {{string.Join('\n', container.Split('\n').Select(l => "    " + l))}}
        """;

    [Fact]
    public void Each_handler_is_read_with_kubernetes_defaults_and_a_named_port_kept_as_its_name()
    {
        var container = TestRead.One<Pod>(PodWith("""
            readinessProbe:
              httpGet: {path: /status/200, port: http}
            livenessProbe:
              tcpSocket: {port: 8080}
              initialDelaySeconds: 5
              periodSeconds: 2
              failureThreshold: 1
            """)).Spec.Containers[0];

        var readiness = container.ReadinessProbe!;
        Assert.Equal(new HttpGetAction { Path = "/status/200", Port = IntOrString.Of("http") }, readiness.HttpGet);
        Assert.Equal((0, 10, 1, 1, 3), (readiness.InitialDelaySeconds, readiness.PeriodSeconds, readiness.TimeoutSeconds, readiness.SuccessThreshold, readiness.FailureThreshold));
        Assert.Equal(8080, container.LivenessProbe!.TcpSocket!.Port.Number);
        Assert.Equal((5, 2, 1), (container.LivenessProbe.InitialDelaySeconds, container.LivenessProbe.PeriodSeconds, container.LivenessProbe.FailureThreshold));

        var exec = TestRead.One<Pod>(PodWith("readinessProbe: {exec: {command: [cat, /tmp/healthy]}}")).Spec.Containers[0].ReadinessProbe!;
        Assert.Equal(new[] { "cat", "/tmp/healthy" }, exec.Exec!.Command.ToArray());
    }

    [Fact]
    public void A_probe_survives_the_round_trip_through_the_apis_json()
    {
        var pod = TestRead.One<Pod>(PodWith("""
            readinessProbe:
              httpGet: {path: /ready, port: http, httpHeaders: [{name: X-Probe, value: "1"}]}
              successThreshold: 2
            livenessProbe: {exec: {command: [/bin/true]}}
            """));

        var again = ManifestReader.Read(ResourceJson.Serialize(pod), "store.json");

        Assert.Equal(pod.Spec, Assert.IsType<Pod>(Assert.Single(again.Resources)).Spec);
    }

    [Theory]
    [InlineData("readinessProbe: {periodSeconds: 5}", "spec.containers[0].readinessProbe", "must specify a handler type")]
    [InlineData("readinessProbe: {httpGet: {port: 80}, tcpSocket: {port: 80}}", "spec.containers[0].readinessProbe", "may not specify more than 1 handler type")]
    [InlineData("livenessProbe: {tcpSocket: {port: 80}, successThreshold: 2}", "spec.containers[0].livenessProbe.successThreshold", "must be 1 for a liveness probe")]
    [InlineData("readinessProbe: {httpGet: {port: metrics}}", "spec.containers[0].readinessProbe.httpGet.port", "no container port is named \"metrics\"")]
    [InlineData("readinessProbe: {tcpSocket: {}}", "spec.containers[0].readinessProbe.tcpSocket.port", "a probe needs a port")]
    [InlineData("readinessProbe: {exec: {command: []}}", "spec.containers[0].readinessProbe.exec.command", "must specify a command")]
    [InlineData("readinessProbe: {httpGet: {port: 80, path: ready}}", "spec.containers[0].readinessProbe.httpGet.path", "must be an absolute path")]
    [InlineData("readinessProbe: {grpc: {port: 80}}", "spec.containers[0].readinessProbe.grpc", "grpc probes are not supported")]
    [InlineData("readinessProbe: {tcpSocket: {port: 80}, periodSeconds: 0}", "spec.containers[0].readinessProbe.periodSeconds", "")]
    [InlineData("readinessProbe: {tcpSocket: {port: 80}, timeoutSecond: 1}", "spec.containers[0].readinessProbe.timeoutSecond", "")]
    public void A_wrong_probe_is_an_error_naming_the_field(string probe, string path, string message)
    {
        var error = TestRead.OneError(PodWith(probe));

        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
