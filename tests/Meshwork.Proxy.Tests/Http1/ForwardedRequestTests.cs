using System.Net;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// What the app receives is written from the parsed request, never copied from the client's bytes:
/// trimmed values, one framing field, chunked bodies re-framed, absolute-form authority as Host; and
/// what clients rely on keeps working through the rebuilt heads (Expect: 100-continue).
/// </summary>
public abstract class ForwardedRequestTests : Http1Entry
{
    [Fact]
    public async Task Field_values_are_forwarded_trimmed_as_name_colon_space_value()
    {
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync("GET /a HTTP/1.1\r\nHost: httpbin.foo:8000\r\nX-Spaced:  \t two words \t \r\nX-Empty:\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync())?.Status);
        Assert.Contains("\r\nX-Spaced: two words\r\nX-Empty: \r\n", App.Received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_is_re_framed_from_its_chunk_sizes()
    {
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync("POST /upload HTTP/1.1\r\nHost: httpbin.foo:8000\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "005;name=\"quoted; value\"\r\nhello\r\nA ; a=b\r\n0123456789\r\n0\r\nX-Checksum: abc\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync())?.Status);
        var received = App.Received;
        Assert.EndsWith("\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\na\r\n0123456789\r\n0\r\nX-Checksum: abc\r\n\r\n", received);
        Assert.DoesNotContain("content-length", received, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_absolute_form_target_becomes_origin_form_and_its_authority_the_host()
    {
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync("GET http://httpbin.foo:8000/ip?x=1 HTTP/1.1\r\nHost: elsewhere\r\n\r\n");
        Assert.Equal(200, (await client.ReadResponseAsync())?.Status);
        Assert.StartsWith("GET /ip?x=1 HTTP/1.1\r\nHost: httpbin.foo:8000\r\n", App.Received);
        Assert.DoesNotContain("elsewhere", App.Received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expect_100_continue_is_answered_and_the_body_follows()
    {
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync("PUT /upload HTTP/1.1\r\nHost: httpbin.foo:8000\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        Assert.Equal(100, (await client.ReadResponseAsync(bodyless: true))?.Status);
        await client.SendAsync("hello");
        Assert.Equal(200, (await client.ReadResponseAsync())?.Status);
        // Expect is hop-by-hop here: the proxy answered it, so the app gets the body at once.
        Assert.Equal("PUT /upload HTTP/1.1\r\nHost: httpbin.foo:8000\r\nContent-Length: 5\r\n\r\nhello", App.Received);
    }
}

public sealed class InboundRelayForwardedRequestTests : ForwardedRequestTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => InboundRelayAsync(mesh, appPort);
}

public sealed class FixedListenerForwardedRequestTests : ForwardedRequestTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => FixedListenerAsync(mesh, appPort);
}

public sealed class HttpProxyListenerForwardedRequestTests : ForwardedRequestTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => HttpProxyListenerAsync(mesh, appPort);
}
