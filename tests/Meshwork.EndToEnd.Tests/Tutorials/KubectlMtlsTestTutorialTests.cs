using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;

namespace Meshwork.EndToEnd.Tests.Tutorials;

/// <summary>
/// Seed 002 with the machine's real kubectl: its own mesh (with Prometheus), since exercise 8 plugs a
/// CA into the control plane. Every line runs as meshwork's own tutorial test runs it; the lines that
/// wait on the pod network stay pending as they are for meshwork.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class KubectlMtlsTestTutorialTests : IAsyncLifetime
{
    private readonly MeshFixture _mesh = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _mesh.DisposeAsync();

    /// <summary>Seed 002's lines as a kubectl user types them: none waits on this API any more.</summary>
    public static IEnumerable<TutorialLine> MtlsTest(bool podNetwork) => TutorialLinesTests.MtlsTest(podNetwork).Select(line => line.Typed switch
    {
        var typed when typed.StartsWith("kubectl port-forward ", StringComparison.Ordinal) => ThroughTheForwardedPort(line),
        // The sample's plain-pod is a Deployment (the runtime runs Deployments), so its pod has a generated name:
        // kubectl, unlike meshwork exec, takes a pod's name, so the line names the pod as a Kubernetes user would.
        var typed when typed.Contains(PlainPodByName, StringComparison.Ordinal) => line with { Typed = typed.Replace(PlainPodByName, PlainPodBySelector, StringComparison.Ordinal) },
        _ => line,
    });

    /// <summary>
    /// The tutorial's port-forward, then what its reader does next: Prometheus answers through the
    /// forwarded port (kubectl's WebSocket tunnel to the pod), and the forward is stopped.
    /// </summary>
    private static TutorialLine ThroughTheForwardedPort(TutorialLine line) => line with
    {
        Typed = line.Typed + " & until curl -sf http://localhost:9090/-/ready; do kill -0 $! || break; sleep 1; done; kill $!",
        Shows = [.. line.Shows, "Prometheus Server is Ready."],
    };

    private const string PlainPodByName = "exec -n mtls-test plain-pod --";

    private const string PlainPodBySelector = "exec -n mtls-test $(kubectl get pod -n mtls-test -l app=plain-pod -o jsonpath='{.items[0].metadata.name}') --";

    [Fact]
    public async Task Seed_002_with_the_real_kubectl_runs_line_by_line()
    {
        await _mesh.MustAsync("up", "--port", "0", "--addons", "prometheus");
        var shell = new TutorialShell(_mesh, realKubectl: true);
        foreach (var file in new[] { "01-test-services.yaml", "02-strict-mtls-global.yaml", "03-non-mesh-pod.yaml", "04-namespace-mtls.yaml", "05-service-mtls.yaml",
            "06-port-specific-mtls.yaml", "07-migration-step1-permissive.yaml", "08-migration-step2-strict.yaml", "create-custom-ca.sh" })
        {
            shell.Provide(file, $"mtls-test/{file}");
        }

        var pending = await shell.FollowAsync(MtlsTest(_mesh.IsolatesPods));

        var pendingForMeshwork = TutorialLinesTests.MtlsTest(_mesh.IsolatesPods).Where(l => l.Check == LineCheck.Pending).Select(l => l.Typed).ToHashSet();
        Assert.All(pending, line => Assert.True(pendingForMeshwork.Contains(line.Typed), line.Typed));
    }
}
