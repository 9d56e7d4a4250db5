using Meshwork.ProxyProtocol.ControlPlaneApi;

namespace Meshwork.Proxy.Tests.ControlPlaneClient;

public sealed class ControlPlaneAddressesTests
{
    [Fact]
    public void Reads_one_url_or_several_separated_by_commas_in_order()
    {
        Assert.True(ControlPlaneAddresses.TryParse("https://10.0.0.1:8443, https://10.0.0.2:8443", out var addresses, out _));
        Assert.Equal(["https://10.0.0.1:8443/", "https://10.0.0.2:8443/"], addresses.All.Select(u => u.ToString()));
        Assert.Equal("https://10.0.0.1:8443,https://10.0.0.2:8443", addresses.ToString());
        Assert.True(ControlPlaneAddresses.TryParse("https://cp:8443", out var one, out _));
        Assert.Equal(1, one.Count);
    }

    [Theory]
    [InlineData("", "no control plane URL")]
    [InlineData("http://10.0.0.1:8443", "https://")]
    [InlineData("https://10.0.0.1:8443,,https://10.0.0.2:8443", "empty entry")]
    [InlineData("https://10.0.0.1:8443,https://10.0.0.1:8443/", "appears twice")]
    [InlineData("https://admin:secret@10.0.0.1:8443", "user information")]
    [InlineData("https://10.0.0.1:8443/?x=1", "query")]
    [InlineData("10.0.0.1:8443", "https://")]
    public void Refuses_a_list_it_cannot_use_and_says_why(string text, string reason)
    {
        Assert.False(ControlPlaneAddresses.TryParse(text, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Refuses_more_replicas_than_the_limit()
    {
        var text = string.Join(',', Enumerable.Range(1, ControlPlaneAddresses.MaxCount + 1).Select(i => $"https://10.0.0.{i}:8443"));
        Assert.False(ControlPlaneAddresses.TryParse(text, out _, out var error));
        Assert.Contains("at most", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Failover_stays_on_a_replica_that_answers_and_moves_round_the_list_when_it_fails()
    {
        Assert.True(ControlPlaneAddresses.TryParse("https://a:1,https://b:1,https://c:1", out var addresses, out _));
        var failover = new ControlPlaneFailover(addresses);
        var a = addresses.All[0];
        var b = addresses.All[1];
        var c = addresses.All[2];

        Assert.Equal(a, failover.Current);
        Assert.Equal(b, failover.MoveOnFrom(a));
        // A second report of the same failure (another request that was on its way) does not skip b.
        Assert.Equal(b, failover.MoveOnFrom(a));
        Assert.False(failover.AllFailed);
        Assert.Equal(c, failover.MoveOnFrom(b));
        Assert.Equal(a, failover.MoveOnFrom(c));
        Assert.True(failover.AllFailed);

        failover.Succeeded();
        Assert.False(failover.AllFailed);
        Assert.Equal(a, failover.Current);
    }

    [Fact]
    public void Concurrent_reports_of_one_failure_move_the_client_once()
    {
        Assert.True(ControlPlaneAddresses.TryParse("https://a:1,https://b:1,https://c:1", out var addresses, out _));
        var failover = new ControlPlaneFailover(addresses);
        Parallel.For(0, 64, _ => failover.MoveOnFrom(addresses.All[0]));
        Assert.Equal(addresses.All[1], failover.Current);
    }
}
