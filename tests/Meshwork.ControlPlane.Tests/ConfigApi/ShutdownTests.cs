using Meshwork.Api;
using Meshwork.Model.Resources;
using Meshwork.Model.Yaml;

namespace Meshwork.ControlPlane.Tests.ConfigApi;

/// <summary>`meshwork down` and restarts depend on the control plane stopping promptly.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_control_plane_ends_open_watches_instead_of_waiting_for_them()
    {
        await using var cp = await ControlPlaneFixture.StartAsync();
        using var client = cp.Client();
        await client.ApplyAsync([Read("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}")]);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var watch = client.WatchAsync("configmaps", "default", null, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await watch.MoveNextAsync()); // the watch is open: it replayed the current objects
        var next = watch.MoveNextAsync().AsTask();

        var stopped = cp.Running.StopAsync();

        // The host's own shutdown timeout is 30 s; a watch that ignored the stop would hold it that long.
        var ended = false;
        try
        {
            ended = !await next.WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (Exception e) when (e is IOException or HttpRequestException or MeshApiException) { ended = true; }
        Assert.True(ended, "the watch did not end when the control plane stopped");
        await stopped.WaitAsync(TimeSpan.FromSeconds(20));
    }

    private static Resource Read(string yaml) => ManifestReader.Read(yaml, "test.yaml", "default").Resources.Single();
}
