using System.Diagnostics;
using System.Net;
using Meshwork.ControlPlane.Registry;
using Xunit.Abstractions;
using static Meshwork.Cli.Tests.Server.LoopbackSidecar;
using static Meshwork.Cli.Tests.Server.ReplicaProcesses;

namespace Meshwork.Cli.Tests.Server;

/// <summary>
/// Proxies and the CLI given several control-plane replicas: the replica a sidecar streams from is
/// killed (SIGKILL); the sidecar keeps serving, moves to the other replica, and a policy applied
/// through the CLI (which moves too) reaches it.
/// </summary>
public sealed class ReplicaFailoverProcessTests(ITestOutputHelper output) : SidecarOnReplicasTest
{
    [Fact]
    public async Task A_sidecar_moves_to_the_surviving_replica_keeps_serving_meanwhile_and_receives_a_policy_applied_through_it()
    {
        var (a, b, sidecar) = await StartSidecarOnTwoReplicasAsync();
        var replicas = $"{a.Url},{b.Url}";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await EventuallyAsync(async () => await ProbeAsync(http, sidecar.WorkloadUrl) == "200", $"the workload answers through its sidecar (PERMISSIVE)\n{sidecar}");

        // The sidecar streams from the first replica it was given.
        await EventuallyAsync(async () => (await StatusAsync(a.State)).Replicas.Single(r => r.Self).ConnectedProxies == 1, "replica a holds the sidecar's stream");
        var killedAt = Stopwatch.StartNew();
        await KillAsync(a.Process);

        // Meanwhile the sidecar serves with the snapshot and certificate it has.
        Assert.Equal("200", await ProbeAsync(http, sidecar.WorkloadUrl));

        // The CLI, given both replicas and the killed one first, moves to the survivor.
        var applied = await RunAsync(a.State, "--server", replicas, "apply", "-f", Mesh.Write("strict.yaml", Manifests.FooStrict));
        Assert.True(applied.ExitCode == 0, $"apply through the survivor: exit {applied.ExitCode}: {applied.Stderr}");
        var listed = await RunAsync(a.State, "--server", replicas, "get", "peerauthentication", "-n", "foo");
        Assert.Equal(0, listed.ExitCode);
        Assert.Contains("default", listed.Stdout, StringComparison.Ordinal);

        await EventuallyAsync(async () => (await StatusAsync(b.State)).Replicas.Single(r => r.Self).ConnectedProxies == 1, $"the sidecar streams from replica b\n{sidecar}");
        output.WriteLine($"status showed the sidecar on replica b {killedAt.Elapsed.TotalSeconds:F1} s after replica a was killed (an apply and CLI processes included)");

        // STRICT reached it: plaintext is refused now, while the sidecar itself runs on.
        await EventuallyAsync(async () => await ProbeAsync(http, sidecar.WorkloadUrl) == Refused, $"plaintext is refused after STRICT\n{sidecar}");
        Assert.False(sidecar.Process.HasExited, $"the sidecar exited:\n{sidecar}");
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(sidecar.ReadyUrl)).StatusCode);
    }

    [Fact]
    public async Task A_sidecar_whose_replica_is_killed_is_SYNCED_on_the_other_replica_with_a_change_applied_there()
    {
        var (a, b, sidecar) = await StartSidecarOnTwoReplicasAsync();
        await EventuallyAsync(async () => (await ProxiesAsync(a)).Any(p => p.Status == "SYNCED"), $"the sidecar is SYNCED on replica a\n{sidecar}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        await EventuallyAsync(async () => await ProbeAsync(http, sidecar.WorkloadUrl) == "200", $"the workload answers through its sidecar (PERMISSIVE)\n{sidecar}");

        var killedAt = DateTimeOffset.UtcNow;
        await KillAsync(a.Process);
        // The change goes through the survivor alone, so only a proxy that moved there can receive it.
        var applied = await RunAsync(b.State, "--server", b.Url, "apply", "-f", Mesh.Write("strict.yaml", Manifests.FooStrict));
        Assert.True(applied.ExitCode == 0, $"apply through replica b: exit {applied.ExitCode}: {applied.Stderr}");

        // The change reached the sidecar (plaintext is refused under STRICT): only replica b, where it was applied, can
        // have sent it. A generous bound for a loaded box, and no more than that about time.
        await EventuallyAsync(async () => await ProbeAsync(http, sidecar.WorkloadUrl) == Refused, $"plaintext is refused after STRICT\n{sidecar}\n{b}", seconds: 120);

        // And replica b records the sidecar's stream, opened after the kill, as SYNCED: it ACKed what b sent last.
        ProxyStatus? moved = null;
        await EventuallyAsync(async () =>
        {
            moved = (await ProxiesAsync(b)).FirstOrDefault(p => p.Status == "SYNCED" && p.ConnectedAt > killedAt);
            return moved is not null;
        }, $"the sidecar is SYNCED on replica b\n{sidecar}\n{b}", seconds: 120);
        output.WriteLine($"the sidecar streamed from replica b {(moved!.ConnectedAt - killedAt).TotalSeconds:F1} s after replica a was killed");
    }

    /// <summary>Replicas a and b on one store, namespace foo, and a sidecar given both (a first).</summary>
    private async Task<(Replica A, Replica B, LoopbackSidecar Sidecar)> StartSidecarOnTwoReplicasAsync()
    {
        var (store, key) = await Mesh.CreateMeshAsync();
        var a = await Mesh.StartServerAsync("a", store, key);
        var b = await Mesh.StartServerAsync("b", store, key);
        var replicas = $"{a.Url},{b.Url}";
        Assert.Equal(0, (await RunAsync(a.State, "--server", replicas, "apply", "-f", Mesh.Write("namespace.yaml", Manifests.FooNamespace))).ExitCode);
        return (a, b, await LoopbackSidecar.StartAsync(Mesh, a.State, replicas, App.Port));
    }
}
