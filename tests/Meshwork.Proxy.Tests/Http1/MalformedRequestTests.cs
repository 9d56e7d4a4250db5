using System.Net;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Requests an attacker shapes so that the proxy and the app would read them differently (RFC 9112 §11.2,
/// request smuggling): each is answered with its status and "connection: close", and not one byte of it
/// reaches the app.
/// </summary>
public abstract class MalformedRequestTests : Http1Entry
{
    private const string Get = "GET /anything HTTP/1.1\r\nHost: httpbin.foo:8000\r\n";
    private const string Post = "POST /upload HTTP/1.1\r\nHost: httpbin.foo:8000\r\n";

    public static TheoryData<string, string, int> Shapes => new()
    {
        { "bare LF inside a field line (a forged XFCC)", Get + "X-A: a\nx-forwarded-client-cert: By=forged\r\n\r\n", 400 },
        { "bare LF as every line end", "GET /anything HTTP/1.1\nHost: httpbin.foo:8000\n\n", 400 },
        { "bare CR inside a field value", Get + "X-A: a\rb\r\n\r\n", 400 },
        { "obs-fold", Get + "X-A: a\r\n folded\r\n\r\n", 400 },
        { "white space before the colon", Get + "Transfer-Encoding : chunked\r\n\r\n", 400 },
        { "a field name with a separator", Get + "X(A): b\r\n\r\n", 400 },
        { "NUL in a field value", Get + "X-A: a\0b\r\n\r\n", 400 },
        { "a control character in a field value", Get + "X-A: a\u0001b\r\n\r\n", 400 },
        { "two spaces in the request line", "GET  /anything HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n", 400 },
        { "a bad version", "GET /anything HTTX/1.1\r\nHost: httpbin.foo:8000\r\n\r\n", 400 },
        { "an unsupported version", "GET /anything HTTP/3.0\r\nHost: httpbin.foo:8000\r\n\r\n", 505 },
        { "both Content-Length and Transfer-Encoding", Post + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
        { "Transfer-Encoding: xchunked", Post + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400 },
        { "a coding the proxy does not implement", Post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501 },
        { "chunked twice", Post + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400 },
        { "Transfer-Encoding in HTTP/1.0", "POST /upload HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 },
        { "Content-Length with a sign", Post + "Content-Length: +5\r\n\r\nhello", 400 },
        { "Content-Length with a space inside", Post + "Content-Length: 5 5\r\n\r\nhello", 400 },
        { "Content-Length in hex", Post + "Content-Length: 0x5\r\n\r\nhello", 400 },
        { "Content-Length as a list", Post + "Content-Length: 5, 5\r\n\r\nhello", 400 },
        { "several Host fields", Get + "Host: other\r\n\r\n", 400 },
        { "no Host in HTTP/1.1", "GET /anything HTTP/1.1\r\nAccept: */*\r\n\r\n", 400 },
        { "a chunk not followed by CRLF", Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400 },
        { "a chunk size with a stray character", Post + "Transfer-Encoding: chunked\r\n\r\n5x\r\nhello\r\n0\r\n\r\n", 400 },
        { "a chunk size that overflows", Post + "Transfer-Encoding: chunked\r\n\r\n10000000000000005\r\nhello\r\n0\r\n\r\n", 400 },
        { "a bare LF after a chunk size", Post + "Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400 },
        { "a bad chunk extension", Post + "Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n", 400 },
        { "a malformed trailer field", Post + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX A: b\r\n\r\n", 400 },
        // Exactly 64 KiB without the end of the head: all of it is read, so the answer is not lost to a reset.
        { "a head over 64 KiB", Get + "X-Long: " + new string('a', 64 * 1024 - Get.Length - 8), 431 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task Is_refused_with_its_status_and_closed_and_never_reaches_the_app(string shape, string request, int status)
    {
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync(request);
        var response = await client.ReadResponseAsync();
        Assert.True(response is not null, $"{shape}: the connection closed without a response");
        Assert.Equal(status, response.Status);
        Assert.Contains("connection: close", response.Head, StringComparison.OrdinalIgnoreCase);
        Assert.True(await client.IsClosedAsync(), $"{shape}: the connection stayed open");
        Assert.Equal("", App.Received);
    }

    [Fact]
    public async Task A_well_formed_request_on_the_same_entry_reaches_the_app()
    {
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync(Get + "X-A: a\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal(200, response?.Status);
        Assert.StartsWith("GET /anything HTTP/1.1\r\n", App.Received);
    }
}

public sealed class InboundRelayMalformedRequestTests : MalformedRequestTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => InboundRelayAsync(mesh, appPort);
}

public sealed class FixedListenerMalformedRequestTests : MalformedRequestTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => FixedListenerAsync(mesh, appPort);
}

public sealed class HttpProxyListenerMalformedRequestTests : MalformedRequestTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => HttpProxyListenerAsync(mesh, appPort);
}
