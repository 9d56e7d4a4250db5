using System.Net;
using System.Text;
using Meshwork.Proxy.Inbound.Protection;
using Meshwork.Proxy.Metrics;

namespace Meshwork.Proxy.Tests.Metrics;

/// <summary>meshwork_refused_connections_total: who is still knocking, in a table that cannot grow without bound.</summary>
public sealed class RefusedConnectionsTests
{
    private static string[] Lines(RefusedConnections refused)
    {
        var text = new StringBuilder();
        refused.WritePrometheus(text);
        return [.. text.ToString().Split('\n').Where(l => l.StartsWith(RefusedConnections.Metric + "{", StringComparison.Ordinal))];
    }

    [Fact]
    public void A_scan_from_many_addresses_keeps_the_table_bounded_and_counts_the_rest_as_other()
    {
        var refused = new RefusedConnections();
        for (var i = 0; i < RefusedConnections.MaxSeries + 100; i++)
            refused.Record(RefusalReason.PlaintextOnStrict, new IPAddress([10, 0, (byte)(i / 256), (byte)(i % 256)]), "httpbin", "foo", 8000);
        // An address already in the table keeps its own series.
        refused.Record(RefusalReason.PlaintextOnStrict, IPAddress.Parse("10.0.0.0"), "httpbin", "foo", 8000);

        var lines = Lines(refused);
        Assert.Equal(RefusedConnections.MaxSeries + 1, lines.Length);
        Assert.Equal(100, refused.Count(RefusalReason.PlaintextOnStrict, RefusedConnections.OtherAddress));
        Assert.Equal(2, refused.Count(RefusalReason.PlaintextOnStrict, "10.0.0.0"));
    }

    [Fact]
    public void An_IPv4_client_on_a_dual_stack_socket_is_shown_by_its_IPv4_address()
    {
        var refused = new RefusedConnections();
        refused.Record(RefusalReason.PlaintextOnStrict, IPAddress.Parse("127.0.0.9").MapToIPv6(), "httpbin", "foo", 8000);
        Assert.Contains("source_address=\"127.0.0.9\"", Assert.Single(Lines(refused)), StringComparison.Ordinal);
    }
}
