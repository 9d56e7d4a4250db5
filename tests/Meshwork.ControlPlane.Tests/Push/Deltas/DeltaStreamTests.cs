using Meshwork.ProxyProtocol.Snapshots;
using static Meshwork.ControlPlane.Tests.Push.Deltas.DeltaMeshes;

namespace Meshwork.ControlPlane.Tests.Push.Deltas;

/// <summary>
/// A test proxy that reads deltas from the real endpoints (HTTP/2 + mTLS) and applies them as the
/// sidecar does; whatever it loses on the way, it ends with the snapshot a fresh generation gives.
/// </summary>
public sealed class DeltaStreamTests
{
    private const string ProxyId = "httpbin-1.foo";

    [Fact]
    public async Task After_the_first_full_snapshot_a_policy_change_arrives_as_a_small_delta_that_rebuilds_it()
    {
        await using var server = await ProxyServerFixture.StartAsync(Initial());
        var proxy = await DeltaProxy.OpenAsync(server, Httpbin());
        Assert.NotNull((await proxy.NextAsync()).Update.Snapshot);

        server.Mesh.Update(Strict);

        var (update, bytes) = await proxy.NextAsync();
        Assert.NotNull(update.Delta);
        Assert.True(bytes < 2048, $"{bytes} bytes for one changed port");
        Assert.Equal(Json(Fresh(server)), Json(proxy.Running!));
        await proxy.DisposeAsync();
    }

    [Fact]
    public async Task A_proxy_that_drops_a_delta_asks_for_a_resync_and_converges_to_the_full_snapshot()
    {
        await using var server = await ProxyServerFixture.StartAsync(Initial());
        await using var proxy = await DeltaProxy.OpenAsync(server, Httpbin());
        await proxy.NextAsync();

        server.Mesh.Update(Strict);
        var dropped = await proxy.ReadWithoutApplyingAsync();
        Assert.NotNull(dropped.Delta);
        server.Mesh.Update(SecondPod);

        var (refused, _) = await proxy.NextAsync();
        Assert.NotNull(refused.Delta);
        Assert.NotNull(proxy.LastError);
        var (resent, _) = await proxy.NextAsync();

        Assert.NotNull(resent.Snapshot);
        Assert.Null(proxy.LastError);
        Assert.Equal(Json(Fresh(server)), Json(proxy.Running!));
    }

    [Fact]
    public async Task A_proxy_that_reconnects_after_changes_it_missed_gets_a_full_snapshot_then_deltas_again()
    {
        await using var server = await ProxyServerFixture.StartAsync(Initial());
        var first = await DeltaProxy.OpenAsync(server, Httpbin());
        await first.NextAsync();
        var running = first.Running!;
        await first.DisposeAsync();

        server.Mesh.Update(Strict);
        server.Mesh.Update(SecondPod);
        await using var again = await DeltaProxy.OpenAsync(server, Httpbin(currentVersion: running.Version), running);

        var (full, _) = await again.NextAsync();
        Assert.NotNull(full.Snapshot);
        Assert.Equal(Json(Fresh(server)), Json(again.Running!));

        server.Mesh.Update(SleepReplacedByEcho);
        var (delta, _) = await again.NextAsync();
        Assert.NotNull(delta.Delta);
        Assert.Equal(Json(Fresh(server)), Json(again.Running!));
    }

    private static ProxySnapshot Fresh(ProxyServerFixture server)
        => Generate(server.Mesh.Current, Httpbin(), server.Ca.TrustBundle.ToPem());

    /// <summary>The sidecar's handling of the stream: apply a full snapshot or a delta, ACK, or NACK asking for a resync.</summary>
    private sealed class DeltaProxy : IAsyncDisposable
    {
        private readonly TestStream _stream;

        private DeltaProxy(TestStream stream, ProxySnapshot? running)
        {
            _stream = stream;
            Running = running;
        }

        public ProxySnapshot? Running { get; private set; }
        public string? LastError { get; private set; }

        public static async Task<DeltaProxy> OpenAsync(ProxyServerFixture server, Meshwork.ProxyProtocol.ControlPlaneApi.ProxyRegistration registration, ProxySnapshot? running = null)
        {
            var cert = await server.EnrollAsync("foo", "httpbin");
            return new DeltaProxy(await TestStream.OpenAsync(server.Client(cert), registration), running);
        }

        public async Task<Meshwork.ProxyProtocol.ControlPlaneApi.SnapshotUpdate> ReadWithoutApplyingAsync()
            => (await _stream.NextUpdateAsync(Guard.Token)).Update;

        public async Task<(Meshwork.ProxyProtocol.ControlPlaneApi.SnapshotUpdate Update, int Bytes)> NextAsync()
        {
            var (update, bytes) = await _stream.NextUpdateAsync(Guard.Token);
            string? error = null;
            var next = update.Snapshot ?? SnapshotDeltaApplier.Apply(Running, update.Delta!, out error);
            LastError = error;
            if (next is not null) Running = next;
            await _stream.AckAsync(ProxyId, update, error, resync: next is null);
            return (update, bytes);
        }

        public ValueTask DisposeAsync() => _stream.DisposeAsync();
    }
}
