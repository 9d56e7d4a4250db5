using Meshwork.EndToEnd.Tests.Infrastructure;
using Meshwork.EndToEnd.Tests.Scenarios;
using Meshwork.Runtime.Processes;
using Xunit.Abstractions;
using Mw = Meshwork.EndToEnd.Tests.Infrastructure.Meshwork;

namespace Meshwork.EndToEnd.Tests.FaultsUnderLoad;

/// <summary>
/// Faults under a steady load between two meshed pods, every request counted and every failure kept with its
/// reason (printed, for the figures): the control plane killed and restarted, and the destination's pod replaced
/// by a rollout restart. Istio loses no request in either: sidecars keep serving with the snapshot and certificate
/// they hold while istiod is away, and a pod that terminates drains (its endpoint leaves the snapshots first).
/// </summary>
[Collection(MeshCollection.Name)]
public sealed class FaultsUnderLoadTests(MeshUnderLoad mesh, ITestOutputHelper output) : IClassFixture<MeshUnderLoad>
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task No_request_is_lost_while_the_control_plane_is_killed_and_restarted()
    {
        var killed = mesh.ControlPlanePid;
        var load = await mesh.UnderLoadAsync(async () =>
        {
            Assert.True(Posix.Signal(killed, Posix.SigKill));
            // Away for a while: the sidecars' streams fail and retry with backoff meanwhile.
            await Task.Delay(TimeSpan.FromSeconds(8));
            await mesh.MustAsync("rollout", "restart", "deployment/istiod", "-n", "istio-system");
        }, settle: TimeSpan.FromSeconds(8));

        output.WriteLine($"control plane SIGKILLed, away 8 s, restarted: {load.Summary}");
        Assert.NotEqual(killed, mesh.ControlPlanePid);
        Assert.True(load.Sent >= 100, load.Summary);
        Assert.True(load.Failed == 0, load.Summary);
    }

    [Fact]
    public async Task No_request_is_lost_while_the_destinations_pod_is_replaced_by_a_rollout_restart()
    {
        var before = mesh.ReadyPod("httpbin").Name;
        var load = await mesh.UnderLoadAsync(async () =>
        {
            await mesh.MustAsync("rollout", "restart", "deployment/httpbin", "-n", "foo");
            // Done when the old pod has stopped and is gone, and the new one is ready.
            await Mw.EventuallyAsync(() => Task.FromResult(mesh.Pods("foo").Where(p => p.Deployment == "httpbin").ToList() is [{ Ready: true } only] && only.Name != before),
                Patience, () => Task.FromResult(mesh.Logs()));
        }, settle: TimeSpan.FromSeconds(3));

        output.WriteLine($"httpbin's pod replaced by rollout restart: {load.Summary}");
        Assert.True(load.Sent >= 100, load.Summary);
        Assert.True(load.Failed == 0, load.Summary);
    }
}
