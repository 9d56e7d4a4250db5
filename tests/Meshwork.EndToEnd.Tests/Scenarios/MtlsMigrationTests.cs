using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.Runtime.Pods;
using Meshwork.Runtime.Processes;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.Scenarios;

/// <summary>The README's main job, once per class: `meshwork demo mtls-migration` from an empty state directory.</summary>
public sealed class MtlsMigrationMesh : MeshFixture
{
    public CommandResult Demo { get; private set; } = new(-1, "", "");

    public override async Task InitializeAsync()
    {
        Demo = await RunAsync("demo", "mtls-migration", "--port", "0");
    }
}

/// <summary>Seed 003 (Istio's mTLS migration task) end to end, and what a user does with the mesh afterwards.</summary>
[Collection(MeshCollection.Name)]
public sealed partial class MtlsMigrationTests(MtlsMigrationMesh mesh) : IClassFixture<MtlsMigrationMesh>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public void Demo_prints_the_tutorials_matrix_before_and_after_each_lock_down()
    {
        Assert.True(mesh.Demo.ExitCode == 0, $"{mesh.Demo}\n{mesh.Logs()}");
        var lines = mesh.Demo.Stdout.Split('\n').Select(l => l.TrimEnd()).ToList();
        string[] permissive =
        [
            "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
            "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
            "sleep.legacy to httpbin.foo: 200", "sleep.legacy to httpbin.bar: 200",
        ];
        string[] strictFoo =
        [
            "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
            "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
            "sleep.legacy to httpbin.foo: 000", "command terminated with exit code 56",
            "sleep.legacy to httpbin.bar: 200",
        ];
        string[] strictMesh =
        [
            "sleep.foo to httpbin.foo: 200", "sleep.foo to httpbin.bar: 200",
            "sleep.bar to httpbin.foo: 200", "sleep.bar to httpbin.bar: 200",
            "sleep.legacy to httpbin.foo: 000", "command terminated with exit code 56",
            "sleep.legacy to httpbin.bar: 000", "command terminated with exit code 56",
        ];
        var at = IndexOf(lines, permissive, 0);
        at = IndexOf(lines, strictFoo, at + permissive.Length);
        at = IndexOf(lines, strictMesh, at + strictFoo.Length);
        IndexOf(lines, permissive, at + strictMesh.Length);
        Assert.Contains(lines, l => l.Contains("meshwork", StringComparison.Ordinal) && l.Contains("down", StringComparison.Ordinal));
    }

    private static int IndexOf(List<string> lines, string[] block, int from)
    {
        for (var i = from; i + block.Length <= lines.Count; i++)
        {
            if (lines.Skip(i).Take(block.Length).SequenceEqual(block)) return i;
        }
        Assert.Fail($"expected, after line {from}:\n{string.Join('\n', block)}\n\nin:\n{string.Join('\n', lines)}");
        return -1;
    }

    [Fact]
    public async Task A_killed_workload_process_is_restarted_and_counted()
    {
        var pod = await ReadyPodAsync("foo", "httpbin");
        var app = pod.Containers.Single(c => c.Name == "httpbin");
        Assert.True(Posix.Signal(app.Pid!.Value, Posix.SigKill));

        await Mw.EventuallyAsync(() => Task.FromResult(
                mesh.Pods("foo").FirstOrDefault(p => p.Name == pod.Name) is { Ready: true } p
                && p.Containers.Single(c => c.Name == "httpbin").RestartCount == 1),
            Patience, () => Task.FromResult(mesh.Logs()));
        var listed = await mesh.MustAsync("get", "pods", "-n", "foo");
        Assert.Matches($@"{pod.Name}\s+2/2\s+Running\s+1\b", listed.Stdout);
        Assert.Equal("200", (await mesh.CurlUntilAsync("bar", "http://httpbin.foo:8000/ip", "200")).Code);
    }

    [Fact]
    public async Task Sidecars_run_the_native_proxy_built_beside_meshwork()
    {
        var pod = await ReadyPodAsync("foo", "sleep");
        var sidecar = pod.Containers.Single(c => c.Name == "istio-proxy");
        var native = Path.Combine(Path.GetDirectoryName(Mw.Executable)!, ProxyCommand.NativeExecutableName);
        // /proc/PID/exe: the program the kernel runs, not whatever the command line claims.
        Assert.Equal(native, new FileInfo($"/proc/{sidecar.Pid}/exe").LinkTarget);
        var listed = await mesh.MustAsync("get", "pod", pod.Name, "-n", "foo", "-o", "jsonpath={.spec.containers[*].command[0]}");
        Assert.Contains(native, listed.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task A_killed_sidecar_makes_the_pod_unready_until_it_is_back()
    {
        var pod = await ReadyPodAsync("bar", "httpbin");
        var sidecar = pod.Containers.Single(c => c.Name == "istio-proxy");
        Assert.True(Posix.Signal(sidecar.Pid!.Value, Posix.SigKill));

        await Mw.EventuallyAsync(() => Task.FromResult(mesh.Pods("bar").FirstOrDefault(p => p.Name == pod.Name) is { Ready: false }),
            TimeSpan.FromSeconds(10), () => Task.FromResult("the pod stayed ready"));
        await Mw.EventuallyAsync(() => Task.FromResult(
                mesh.Pods("bar").FirstOrDefault(p => p.Name == pod.Name) is { Ready: true } p
                && p.Containers.Single(c => c.Name == "istio-proxy").RestartCount == 1),
            Patience, () => Task.FromResult(mesh.Logs()));
        Assert.Equal("200", (await mesh.CurlUntilAsync("foo", "http://httpbin.bar:8000/ip", "200")).Code);
    }

    [Fact]
    public async Task Down_then_up_brings_back_the_same_mesh()
    {
        await ReadyPodAsync("foo", "httpbin");
        var root = await File.ReadAllTextAsync(mesh.State.RootCertFile);

        await mesh.MustAsync("down");
        Assert.Empty(mesh.Pods("foo"));
        Assert.Null(Meshwork.Runtime.RuntimeInfo.ReadLive(mesh.State));

        await mesh.UpAsync();
        Assert.Equal(root, await File.ReadAllTextAsync(mesh.State.RootCertFile));
        foreach (var ns in new[] { "foo", "bar", "legacy" }) await ReadyPodAsync(ns, "sleep");
        await ReadyPodAsync("foo", "httpbin");
        Assert.Equal("200", (await mesh.CurlUntilAsync("bar", "http://httpbin.foo:8000/ip", "200")).Code);
        Assert.Equal("200", (await mesh.CurlUntilAsync("legacy", "http://httpbin.bar:8000/ip", "200")).Code);
    }

    [Fact]
    public async Task Rollout_restart_replaces_the_pods_and_their_certificates()
    {
        var before = await ReadyPodAsync("bar", "sleep");
        var certificate = Path.Combine(mesh.State.PodDirectory("bar", before.Name), "etc", "certs", "cert-chain.pem");
        await Mw.EventuallyAsync(() => Task.FromResult(File.Exists(certificate)), Patience, () => Task.FromResult(mesh.Logs()));
        var oldChain = await File.ReadAllTextAsync(certificate);

        var restart = await mesh.MustAsync("rollout", "restart", "deployment/sleep", "-n", "bar");
        Assert.Contains("deployment.apps/sleep restarted", restart.Stdout);
        await mesh.MustAsync("rollout", "status", "deployment/sleep", "-n", "bar");

        var after = Assert.Single(mesh.Pods("bar"), p => p.Deployment == "sleep" && !p.Terminating);
        Assert.NotEqual(before.Name, after.Name);
        Assert.NotEqual(before.TemplateHash, after.TemplateHash);
        var newCertificate = Path.Combine(mesh.State.PodDirectory("bar", after.Name), "etc", "certs", "cert-chain.pem");
        await Mw.EventuallyAsync(() => Task.FromResult(File.Exists(newCertificate)), Patience, () => Task.FromResult(mesh.Logs()));
        Assert.NotEqual(oldChain, await File.ReadAllTextAsync(newCertificate));
        Assert.Equal("200", (await mesh.CurlUntilAsync("bar", "http://httpbin.foo:8000/ip", "200")).Code);
    }

    private async Task<PodRecord> ReadyPodAsync(string @namespace, string deployment)
    {
        PodRecord? found = null;
        await Mw.EventuallyAsync(() =>
        {
            found = mesh.Pods(@namespace).FirstOrDefault(p => p.Deployment == deployment && p.Ready);
            return Task.FromResult(found is not null);
        }, Patience, () => Task.FromResult($"{mesh.Demo}\n{mesh.Logs()}"));
        return found!;
    }
}

[CollectionDefinition(Name)]
public sealed class MeshCollection
{
    /// <summary>Whole meshes run one at a time: the box has two cores.</summary>
    public const string Name = "Local meshes";
}
