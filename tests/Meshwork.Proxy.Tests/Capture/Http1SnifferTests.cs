using System.Text;
using Meshwork.Proxy.Capture;

namespace Meshwork.Proxy.Tests.Capture;

public sealed class Http1SnifferTests
{
    [Theory]
    [InlineData("GET / HTTP/1.1\r\n", "Http1")]
    [InlineData("OPTIONS * HTTP/1.1", "Http1")]
    [InlineData("PATCH /x", "Http1")]
    [InlineData("G", "NeedMore")]
    [InlineData("DELET", "NeedMore")]
    [InlineData("PRI * HTTP/2.0", "Other")]
    [InlineData("\u0016\u0003\u0001", "Other")]
    [InlineData("GETX / HTTP/1.1", "Other")]
    [InlineData("get / HTTP/1.1", "Other")]
    [InlineData("SSH-2.0-OpenSSH", "Other")]
    public void Tells_an_HTTP_1_request_from_other_protocols(string first, string expected) =>
        Assert.Equal(Enum.Parse<Http1Sniffer.Verdict>(expected), Http1Sniffer.Classify(Encoding.Latin1.GetBytes(first)));
}
