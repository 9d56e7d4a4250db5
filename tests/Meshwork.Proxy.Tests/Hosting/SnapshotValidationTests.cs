using System.Text.Json;
using Meshwork.Proxy.Hosting;
using Meshwork.ProxyProtocol;

namespace Meshwork.Proxy.Tests.Hosting;

public sealed class SnapshotValidationTests
{
    [Fact]
    public void A_minimal_snapshot_without_lists_is_accepted()
    {
        var snapshot = JsonSerializer.Deserialize("""{"version":"v","node":{"id":"x.default","role":"Network","namespace":"default","workload":"x"}}""", ProtocolJson.Default.ProxySnapshot)!;
        var config = ActiveConfig.TryCreate(snapshot, "default", out var error);
        Assert.Null(error);
        Assert.NotNull(config);
        Assert.False(config.Router.TryResolve("httpbin", 8000, out _, out var routeError));
        Assert.Contains("httpbin", routeError);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var snapshot = JsonSerializer.Deserialize("""
            {"version":"","node":{"id":"x.default","role":"Sidecar","namespace":"default","workload":"x"},
             "inbound":[{"port":8000,"protocol":"http","mode":"Strict"},{"port":8000,"protocol":"grpc","mode":"Strict"}],
             "outbound":[{"name":"a","namespace":"b","hostname":"a.b.svc.cluster.local","ports":[{"port":80,"protocol":"http","endpoints":[{"address":"not-ip","port":1,"tls":"IstioMutual"}]}]}]}
            """, ProtocolJson.Default.ProxySnapshot)!;
        Assert.Null(ActiveConfig.TryCreate(snapshot, "default", out var error));
        Assert.Contains("version is empty", error);
        Assert.Contains("appears twice", error);
        Assert.Contains("'grpc'", error);
        Assert.Contains("not-ip", error);
        Assert.Contains("no accepted identities", error);
    }
}
