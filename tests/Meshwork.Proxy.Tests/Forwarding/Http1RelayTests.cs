using System.Text;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Forwarding;
using Meshwork.Proxy.Http1;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Forwarding;

/// <summary>The HTTP/1.1 relay's framing and head rewriting, over in-memory streams.</summary>
public sealed class Http1RelayTests
{
    private static readonly byte[] Xfcc = "x-forwarded-client-cert"u8.ToArray();

    /// <summary>Relays one request read from <paramref name="request"/> to an upstream that answers <paramref name="response"/>.</summary>
    private static async Task<(string Upstream, string Downstream, ExchangeResult Result)> RelayAsync(string request, string response, string extraField = "")
    {
        var down = new MemoryStream(Encoding.ASCII.GetBytes(request));
        var downSink = new MemoryStream();
        var upSink = new MemoryStream();
        using var downIn = new HttpInput(down, RelaySide.Downstream);
        using var downOut = new HttpOutput(downSink, RelaySide.Downstream);
        await using var up = new UpstreamConnection(new DuplexStream(new MemoryStream(Encoding.ASCII.GetBytes(response)), upSink));
        var length = await downIn.ReadHeadAsync(default);
        var frame = Prepare(downIn, length, up.Output, Encoding.ASCII.GetBytes(extraField));
        var result = await Http1Relay.ExchangeAsync(downIn, downOut, frame, up, default);
        return (Encoding.ASCII.GetString(upSink.ToArray()), Encoding.ASCII.GetString(downSink.ToArray()), result);
    }

    private static Http1Relay.RequestFrame Prepare(HttpInput downIn, int length, HttpOutput up, byte[] extra)
    {
        var head = HttpHead.ParseRequest(downIn.Span[..length]);
        var frame = Http1Relay.WriteRequestHead(head, up, Http1Relay.OriginForm(head.Second), Xfcc, extra, "x-meshwork-peer-"u8);
        downIn.Consume(length);
        return frame;
    }

    [Fact]
    public async Task Hop_by_hop_fields_and_a_client_sent_xfcc_are_dropped_and_the_proxys_xfcc_added()
    {
        var (upstream, downstream, result) = await RelayAsync(
            "GET /headers?x=1 HTTP/1.1\r\nHost: httpbin.foo:8000\r\nConnection: keep-alive, te\r\nTE: trailers\r\nX-Forwarded-Client-Cert: By=forged\r\nx-meshwork-peer-workload: forged\r\nAccept: */*\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nok",
            "x-forwarded-client-cert: By=spiffe://cluster.local/ns/foo/sa/httpbin\r\n");
        Assert.Equal("GET /headers?x=1 HTTP/1.1\r\nHost: httpbin.foo:8000\r\nAccept: */*\r\nx-forwarded-client-cert: By=spiffe://cluster.local/ns/foo/sa/httpbin\r\n\r\n", upstream);
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", downstream);
        Assert.Null(result.FailedStage);
        Assert.True(result.UpstreamReusable);
        Assert.False(result.DownstreamMustClose);
    }

    /// <summary>Found by the http1-request fuzz target: the forwarded head did not parse as the HTTP/1.1 it claims to be.</summary>
    [Theory]
    [InlineData("GET /ip HTTP/1.0\r\n\r\n", "GET /ip HTTP/1.1\r\nHost: \r\n")]
    [InlineData("GET http://httpbin.foo:8000/ip HTTP/1.0\r\n\r\n", "GET /ip HTTP/1.1\r\nHost: httpbin.foo:8000\r\n")]
    public async Task An_http10_request_without_host_is_forwarded_with_the_host_that_http11_requires(string request, string forwardedHead)
    {
        var (upstream, _, _) = await RelayAsync(request, "HTTP/1.1 204 No Content\r\n\r\n");
        Assert.StartsWith(forwardedHead, upstream);
        var head = HttpHead.ParseRequest(Encoding.ASCII.GetBytes(upstream));
        Assert.True(head.HasHost);
    }

    [Fact]
    public async Task Chunked_bodies_are_re_framed_both_ways_without_their_extensions()
    {
        var (upstream, downstream, result) = await RelayAsync(
            "POST /upload HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n",
            "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
        Assert.EndsWith("\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n", upstream);
        Assert.Equal("HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", downstream);
        Assert.Equal(201, result.Status);
        Assert.True(result.UpstreamReusable);
    }

    [Fact]
    public async Task Expect_continue_is_answered_by_the_proxy_and_not_forwarded()
    {
        var (upstream, downstream, _) = await RelayAsync(
            "PUT /x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc",
            "HTTP/1.1 204 No Content\r\n\r\n");
        Assert.Equal("PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", upstream);
        Assert.Equal("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", downstream);
    }

    [Fact]
    public async Task A_response_without_length_is_read_until_close_and_closes_the_client_connection()
    {
        var (_, downstream, result) = await RelayAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\nall of it");
        Assert.Equal("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it", downstream);
        Assert.False(result.UpstreamReusable);
        Assert.True(result.DownstreamMustClose);
    }

    [Fact]
    public async Task A_head_response_has_no_body_whatever_its_length_says()
    {
        var (_, downstream, result) = await RelayAsync("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        Assert.Equal("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", downstream);
        Assert.True(result.UpstreamReusable);
    }

    [Fact]
    public async Task An_upstream_that_closes_before_answering_is_a_503_before_headers()
    {
        var (_, _, result) = await RelayAsync("GET / HTTP/1.1\r\nHost: a\r\n\r\n", "");
        Assert.Equal(UpstreamStage.ResponseHeaders, result.FailedStage);
        Assert.False(result.ResponseStarted);
    }

    [Fact]
    public async Task Pipelined_requests_are_read_one_head_at_a_time()
    {
        using var input = new HttpInput(new MemoryStream("GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n"u8.ToArray()), RelaySide.Downstream);
        var first = await input.ReadHeadAsync(default);
        Assert.Equal("/a", Encoding.ASCII.GetString(HttpHead.ParseRequest(input.Span[..first]).Second));
        input.Consume(first);
        var second = await input.ReadHeadAsync(default);
        Assert.Equal("/b", Encoding.ASCII.GetString(HttpHead.ParseRequest(input.Span[..second]).Second));
        input.Consume(second);
        Assert.Equal(0, await input.ReadHeadAsync(default));
    }

    [Theory]
    [InlineData("GET / HTTP/2.0\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nno colon\r\n\r\n")]
    public void Malformed_or_ambiguous_heads_are_refused(string head)
    {
        var bytes = Encoding.ASCII.GetBytes(head);
        Assert.Throws<HttpWireException>(() => HttpHead.ParseRequest(bytes));
    }

    [Fact]
    public void Absolute_form_targets_become_origin_form()
    {
        Assert.Equal("/ip?x=1", Encoding.ASCII.GetString(Http1Relay.OriginForm("http://httpbin.foo:8000/ip?x=1"u8)));
        Assert.Equal("/", Encoding.ASCII.GetString(Http1Relay.OriginForm("http://httpbin.foo:8000"u8)));
        Assert.Equal("/x", Encoding.ASCII.GetString(Http1Relay.OriginForm("/x"u8)));
    }

    [Fact]
    public void Fixed_outbound_listeners_are_read_from_the_environment()
    {
        var errors = new List<string>();
        var parsed = ProxyOptions.ParseFixedOutbound("127.0.0.1:9080=reviews.bookinfo:9080, 127.0.0.2:80=httpbin:8000", errors);
        Assert.Empty(errors);
        Assert.Equal([new FixedUpstream(System.Net.IPEndPoint.Parse("127.0.0.1:9080"), "reviews.bookinfo", 9080),
            new FixedUpstream(System.Net.IPEndPoint.Parse("127.0.0.2:80"), "httpbin", 8000)], parsed.ToArray());
        ProxyOptions.ParseFixedOutbound("9080=reviews:9080,127.0.0.1:1=nohost", errors);
        Assert.Equal(2, errors.Count);
    }
}
