using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;

namespace Meshwork.EndToEnd.Tests.Tutorials;

/// <summary>One `meshwork up` for the tutorials that need nothing but the mesh itself.</summary>
public sealed class KubectlTutorialMesh : MeshFixture
{
    public override Task InitializeAsync() => UpAsync();
}

/// <summary>
/// The tutorials' lines as their readers type them, with the machine's real kubectl (through the
/// kubeconfig `meshwork up` writes) and istioctl's lines given to meshwork: the same lines and the
/// same stated outcomes as <see cref="TutorialLinesTests"/>. Seeds 000, 001, 003 and 004 share one
/// mesh; each puts back what it changed, so they pass in any order. Seed 002 restarts the control
/// plane onto a plugged-in CA, so it has a mesh of its own.
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class KubectlTutorialTests(KubectlTutorialMesh mesh) : IClassFixture<KubectlTutorialMesh>
{
    [Fact]
    public async Task Seed_001_with_the_real_kubectl_runs_line_by_line()
    {
        var shell = Shell(mesh, "gateway.yaml", "web-frontend.yaml", "customers-v1.yaml", "vs-customers-gateway.yaml", "strict-mtls.yaml");
        try
        {
            // The gateway binds port 80 as root, else 8080, which the tutorial's curl does not name.
            var gatewayPort = (await mesh.MustAsync("get", "svc", "-n", "istio-system", "istio-ingressgateway", "-ojsonpath={.spec.ports[0].port}")).Stdout.Trim();
            var pending = await shell.FollowAsync(TutorialLinesTests.GatewayPermissive(gatewayPort == "80"));
            Assert.All(pending, line => Assert.Equal(TutorialLinesTests.NeedsPort80, line.PendingOn));
        }
        finally
        {
            await RemoveCustomersAsync(shell);
        }
    }

    [Fact]
    public async Task Seed_000_with_the_real_kubectl_runs_line_by_line()
    {
        var shell = Shell(mesh, "gateway.yaml", "customers-v1.yaml", "vs-customers-gateway.yaml", "strict-mtls.yaml");
        shell.Provide("web-frontend.yaml", "customers/web-frontend.yaml");
        try
        {
            // The lab starts with the web frontend already running without a sidecar.
            await MustAsync(shell, "kubectl label namespace default istio-injection- && kubectl apply -f web-frontend.yaml");
            Assert.Empty(await shell.FollowAsync(TutorialLinesTests.GatewayLab()));
        }
        finally
        {
            await RemoveCustomersAsync(shell);
        }
    }

    [Fact]
    public async Task Seed_003_with_the_real_kubectl_prints_200_then_000_and_exit_code_56_line_by_line()
    {
        var shell = new TutorialShell(mesh, realKubectl: true);
        shell.Provide("httpbin.yaml", "mtls-migration/httpbin.yaml");
        shell.Provide("sleep.yaml", "mtls-migration/sleep.yaml");
        shell.Provide("samples/sleep/sleep.yaml", "mtls-migration/sleep.yaml");
        try
        {
            Assert.Empty(await shell.FollowAsync(TutorialLinesTests.MtlsMigration()));
        }
        finally
        {
            await shell.RunAsync("kubectl delete namespace foo bar legacy --ignore-not-found; kubectl delete peerauthentication default -n istio-system --ignore-not-found");
        }
    }

    [Fact]
    public async Task Seed_004_with_the_real_kubectl_runs_line_by_line()
    {
        var shell = new TutorialShell(mesh, realKubectl: true);
        shell.Provide("modules/security/mtls/config/sleep.yaml", "hipstershop-permissive/sleep.yaml");
        shell.Provide("hipstershop.yaml", "hipstershop-permissive/hipstershop.yaml");
        try
        {
            // The previous module of that course left the shop running, with sidecars.
            await MustAsync(shell, "kubectl create namespace hipstershopv1v2 && kubectl label namespace hipstershopv1v2 istio-injection=enabled"
                + " && kubectl apply -n hipstershopv1v2 -f hipstershop.yaml");
            Assert.Empty(await shell.FollowAsync(TutorialLinesTests.HipstershopStrict()));
        }
        finally
        {
            await shell.RunAsync("kubectl delete namespace noistio hipstershopv1v2 --ignore-not-found; kubectl delete peerauthentication default -n istio-system --ignore-not-found");
        }
    }

    /// <summary>A shell with the real kubectl and the customers lab's files where the tutorial names them.</summary>
    private static TutorialShell Shell(MeshFixture mesh, params string[] customersFiles)
    {
        var shell = new TutorialShell(mesh, realKubectl: true);
        foreach (var file in customersFiles) shell.Provide(file, $"customers/{file}");
        return shell;
    }

    /// <summary>What the customers lab leaves when a line failed before its own cleanup lines ran.</summary>
    private static Task<CommandResult> RemoveCustomersAsync(TutorialShell shell) => shell.RunAsync(
        "kubectl delete deploy web-frontend customers-v1 --ignore-not-found; kubectl delete svc customers web-frontend --ignore-not-found;"
        + " kubectl delete vs customers web-frontend --ignore-not-found; kubectl delete gateway gateway --ignore-not-found;"
        + " kubectl delete peerauthentication default --ignore-not-found; kubectl label namespace default istio-injection=enabled --overwrite");

    private static async Task MustAsync(TutorialShell shell, string line)
    {
        var result = await shell.RunAsync(line);
        Assert.True(result.ExitCode == 0, $"{line}\n{result}");
    }
}
