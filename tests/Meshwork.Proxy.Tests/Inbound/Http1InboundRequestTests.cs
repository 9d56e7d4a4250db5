using System.Text;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Inbound.Forwarding;

namespace Meshwork.Proxy.Tests.Inbound;

public sealed class Http1InboundRequestTests
{
    private static void Load(Http1InboundRequest lookup, string head)
    {
        var bytes = Encoding.Latin1.GetBytes(head);
        lookup.Load(HttpHead.ParseRequest(bytes));
    }

    [Fact]
    public void Finds_fields_by_name_in_any_case_and_joins_repeated_ones_as_envoy_does()
    {
        var lookup = new Http1InboundRequest();
        Load(lookup, "GET /x HTTP/1.1\r\nHost: a\r\nX-Env: dev\r\nx-env:  prod \r\nX-Team: payments\r\n\r\n");
        Assert.Equal("dev,prod", lookup.Lookup("x-env"));
        Assert.Equal("payments", lookup.Lookup("x-team"));
        Assert.Null(lookup.Lookup("x-missing"));
    }

    [Fact]
    public void Each_request_of_a_connection_sees_only_its_own_fields()
    {
        var lookup = new Http1InboundRequest();
        Load(lookup, "GET /first HTTP/1.1\r\nHost: a\r\nX-Long-Field-From-The-First-Request: " + new string('v', 2000) + "\r\nX-Env: dev\r\n\r\n");
        Load(lookup, "GET /second HTTP/1.1\r\nHost: a\r\n\r\n");
        Assert.Null(lookup.Lookup("x-env"));
        Assert.Null(lookup.Lookup("x-long-field-from-the-first-request"));
        Assert.Equal("a", lookup.Lookup("host"));
    }

    [Fact]
    public void The_gate_sees_the_method_the_target_and_the_host_as_sent_port_included()
    {
        var request = new Http1InboundRequest();
        Load(request, "PATCH /items/7?x=1 HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
        Assert.Equal("PATCH", request.Method);
        Assert.Equal("/items/7?x=1", request.Target);
        Assert.Equal("httpbin.foo:8000", request.Host);
    }
}
