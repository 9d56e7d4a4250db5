using Meshwork.Proxy.Gateway;

namespace Meshwork.Proxy.Tests.Gateway;

/// <summary>Istio's Gateway and VirtualService host patterns: "*", exact names and "*.suffix", case-insensitive.</summary>
public sealed class GatewayHostMatchTests
{
    [Theory]
    [InlineData("*", "anything.example.com", true)]
    [InlineData("bookinfo.com", "bookinfo.com", true)]
    [InlineData("bookinfo.com", "BookInfo.COM", true)]
    [InlineData("bookinfo.com", "www.bookinfo.com", false)]
    [InlineData("*.bookinfo.com", "www.bookinfo.com", true)]
    [InlineData("*.bookinfo.com", "a.b.bookinfo.com", true)]
    [InlineData("*.bookinfo.com", "bookinfo.com", false)]
    [InlineData("*.bookinfo.com", "xbookinfo.com", false)]
    public void A_host_pattern_accepts_the_names_istio_accepts(string pattern, string host, bool accepted) =>
        Assert.Equal(accepted, GatewayRouteTable.HostMatches(pattern, host));
}
