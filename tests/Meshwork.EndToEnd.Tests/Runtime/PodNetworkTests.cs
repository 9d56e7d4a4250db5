using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Meshwork.Runtime.Network;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Runtime;

/// <summary>The mTLS migration sample's legacy namespace (pods without a sidecar) in the pod network mode.</summary>
public sealed class PodNetworkMesh : MeshFixture
{
    protected override string PodNetwork => "netns";

    public override async Task InitializeAsync()
    {
        await UpAsync(Sample("mtls-migration/namespaces.yaml"));
        await MustAsync("apply", "-n", "legacy", "-f", Sample("mtls-migration/httpbin.yaml"));
        await MustAsync("apply", "-n", "legacy", "-f", Sample("mtls-migration/sleep.yaml"));
        await Mw.EventuallyAsync(
            () => Task.FromResult(Pods("legacy").Count == 2 && Pods("legacy").All(p => p.Ready)),
            TimeSpan.FromSeconds(180),
            () => Task.FromResult($"pods: {string.Join(", ", Pods("legacy").Select(p => $"{p.Name} ready={p.Ready}"))}\n{Logs()}"));
    }
}

[Collection(MeshCollection.Name)]
public sealed class PodNetworkTests(PodNetworkMesh mesh) : IClassFixture<PodNetworkMesh>
{
    private async Task<CommandResult> ExecAsync(string deployment, params string[] command) =>
        await mesh.RunAsync(["exec", "-n", "legacy", $"deploy/{deployment}", "-c", deployment, "--", .. command]);

    [Fact]
    public async Task Each_pod_has_its_own_network_namespace_and_an_address_of_the_pod_range()
    {
        var pods = mesh.Pods("legacy");
        Assert.Equal(2, pods.Select(p => p.PodIp).Distinct().Count());
        Assert.All(pods, p => Assert.True(AddressRanges.PodPool.Contains(System.Net.IPAddress.Parse(p.PodIp)), $"{p.Name}: {p.PodIp}"));
        var namespaces = NetworkCommands.Run("ip", ["netns", "list"]);
        Assert.Contains(MeshNetworkNames.For(mesh.StatePath).NamespacePrefix, namespaces, StringComparison.Ordinal);
        var up = await ExecAsync("sleep", "cat", "/proc/net/route");
        Assert.True(up.ExitCode == 0, up.ToString());
        // No default route (destination 00000000) inside the pod: nothing leaves the machine.
        Assert.DoesNotContain(up.Stdout.Split('\n').Skip(1), line => line.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "00000000");
    }

    [Fact]
    public async Task A_pod_without_a_sidecar_reaches_a_Service_by_every_DNS_name_through_its_clusterIP()
    {
        var services = await mesh.MustAsync("get", "svc", "-n", "legacy", "httpbin");
        Assert.Contains("10.", services.Stdout, StringComparison.Ordinal);
        foreach (var host in new[] { "httpbin", "httpbin.legacy", "httpbin.legacy.svc", "httpbin.legacy.svc.cluster.local" })
        {
            var curl = await ExecAsync("sleep", "curl", "-s", "-o", "/dev/null", "-m", "10", "-w", "%{http_code}", $"http://{host}:8000/ip");
            Assert.True(curl.Stdout.Trim() == "200", $"{host}: {curl}\n{mesh.Logs()}");
        }
    }

    [Fact]
    public async Task A_pod_runs_as_its_own_user_and_cannot_read_the_mesh_files_or_another_pods_files()
    {
        var id = await ExecAsync("sleep", "id", "-u");
        Assert.True(id.ExitCode == 0, id.ToString());
        Assert.NotEqual("0", id.Stdout.Trim());
        var httpbin = mesh.Pods("legacy").Single(p => p.Deployment == "httpbin");
        foreach (var file in new[] { mesh.State.AdminTokenFile, Path.Combine(mesh.State.CaDirectory, "ca-key.pem"), Path.Combine(mesh.State.PodDirectory("legacy", httpbin.Name), "pod.json") })
        {
            Assert.True(File.Exists(file) || file.Contains("ca-key", StringComparison.Ordinal), $"{file} should exist on the host");
            var cat = await ExecAsync("sleep", "cat", file);
            Assert.True(cat.ExitCode != 0, $"the sleep pod read {file}: {cat}");
        }
    }
}

/// <summary>`meshwork down` in the pod network mode leaves no namespace, interface, rule or mount behind.</summary>
[Collection(MeshCollection.Name)]
public sealed class PodNetworkCleanupTests
{
    [Fact]
    public async Task Down_removes_every_namespace_interface_rule_and_mount_of_the_mesh()
    {
        var rulesBefore = NetworkCommands.Run("iptables-save", []);
        var mesh = new PodNetworkMesh();
        var names = MeshNetworkNames.For(mesh.StatePath);
        try
        {
            await mesh.InitializeAsync();
            Assert.Contains(names.Bridge, NetworkCommands.Run("ip", ["-o", "link", "show"]), StringComparison.Ordinal);
            await mesh.MustAsync("down");
            Assert.DoesNotContain(names.NamespacePrefix, NetworkCommands.Run("ip", ["netns", "list"]), StringComparison.Ordinal);
            var links = NetworkCommands.Run("ip", ["-o", "link", "show"]);
            Assert.DoesNotContain(names.Bridge, links, StringComparison.Ordinal);
            Assert.DoesNotContain(names.VethPrefix, links, StringComparison.Ordinal);
            Assert.Equal(rulesBefore, NetworkCommands.Run("iptables-save", []));
            Assert.DoesNotContain(mesh.StatePath, File.ReadAllText("/proc/mounts"), StringComparison.Ordinal);
            Assert.DoesNotContain(names.Id, File.ReadAllText("/proc/mounts"), StringComparison.Ordinal);
        }
        finally
        {
            await mesh.DisposeAsync();
        }
    }
}
