using System.Net;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Http1;

/// <summary>
/// Apps that answer badly: a response the proxy cannot frame without guessing becomes a 502 and its
/// upstream connection is dropped, and a bodiless response followed by stray bytes does not leave them
/// for the next request on the kept-alive upstream connection: every client gets its own answer, never
/// what was left over from another's.
/// </summary>
public abstract class MalformedResponseTests : Http1Entry
{
    private const string Good = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ngood";
    /// <summary>A complete response hidden where a body would be: the one a desynchronised connection would hand the next client.</summary>
    private const string Leftover = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nleftover";

    public static TheoryData<string, string> BadResponses => new()
    {
        { "bare LF inside a field line", "HTTP/1.1 200 OK\r\nX-A: a\nSet-Cookie: forged\r\nContent-Length: 2\r\n\r\nok" },
        { "both Content-Length and Transfer-Encoding", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" },
        { "Content-Length with a sign", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok" },
        { "a chunk not followed by CRLF", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX0\r\n\r\n" },
        { "a bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 x\r\nok\r\n0\r\n\r\n" },
        { "a bad status line", "HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok" },
    };

    [Theory]
    [MemberData(nameof(BadResponses))]
    public async Task Becomes_a_502_and_the_next_request_gets_its_own_answer(string shape, string bad)
    {
        App.Answer = head => head.StartsWith("GET /good ", StringComparison.Ordinal) ? Good : bad + Leftover;
        using (var client = await RawHttpConnection.OpenAsync(Entry))
        {
            await client.SendAsync("GET /bad HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
            var response = await client.ReadResponseAsync();
            Assert.True(response is not null, $"{shape}: the connection closed without a response");
            Assert.Equal(502, response.Status);
        }
        await AssertNextClientGetsItsOwnAnswerAsync();
    }

    [Theory]
    [InlineData("HEAD", "200 OK")]
    [InlineData("GET", "204 No Content")]
    [InlineData("GET", "304 Not Modified")]
    public async Task A_bodiless_response_with_a_tail_does_not_leave_it_for_the_next_request(string method, string status)
    {
        App.Answer = head => head.StartsWith("GET /good ", StringComparison.Ordinal)
            ? Good
            : $"HTTP/1.1 {status}\r\nContent-Length: {Leftover.Length}\r\n\r\n{Leftover}";
        using (var client = await RawHttpConnection.OpenAsync(Entry))
        {
            await client.SendAsync($"{method} /bodiless HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
            var response = await client.ReadResponseAsync(bodyless: true);
            Assert.Equal(int.Parse(status[..3], System.Globalization.CultureInfo.InvariantCulture), response?.Status);
            // The same client connection, then another one: both must get their own answer.
            await client.SendAsync("GET /good HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
            var next = await client.ReadResponseAsync();
            Assert.Equal(200, next?.Status);
            Assert.Equal("good", next?.Body);
        }
        await AssertNextClientGetsItsOwnAnswerAsync();
    }

    [Fact]
    public async Task A_framing_error_after_the_response_started_closes_the_client_connection()
    {
        // A chunk larger than the proxy's write buffer: its head and first bytes have left before the bad chunk end shows.
        var data = new string('x', 40_000);
        App.Answer = _ => $"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{data.Length:x}\r\n{data}XX0\r\n\r\n";
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync("GET /big HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
        var response = await client.ReadResponseAsync();
        Assert.Equal(200, response?.Status);
        Assert.DoesNotContain("\r\n0\r\n\r\n", response!.Body, StringComparison.Ordinal);
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task Interim_responses_are_passed_on_before_the_final_one()
    {
        App.Answer = _ => "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n" + Good;
        using var client = await RawHttpConnection.OpenAsync(Entry);
        await client.SendAsync("GET /hints HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
        var interim = await client.ReadResponseAsync(bodyless: true);
        Assert.Equal(103, interim?.Status);
        Assert.Contains("Link: </style.css>; rel=preload\r\n", interim!.Head, StringComparison.Ordinal);
        var final = await client.ReadResponseAsync();
        Assert.Equal("good", final?.Body);
    }

    private async Task AssertNextClientGetsItsOwnAnswerAsync()
    {
        using var next = await RawHttpConnection.OpenAsync(Entry);
        await next.SendAsync("GET /good HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n");
        var response = await next.ReadResponseAsync();
        Assert.Equal(200, response?.Status);
        Assert.Equal("good", response?.Body);
    }
}

public sealed class InboundRelayMalformedResponseTests : MalformedResponseTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => InboundRelayAsync(mesh, appPort);
}

public sealed class FixedListenerMalformedResponseTests : MalformedResponseTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => FixedListenerAsync(mesh, appPort);
}

public sealed class HttpProxyListenerMalformedResponseTests : MalformedResponseTests
{
    protected override Task<(IPEndPoint Entry, IAsyncDisposable? Owned)> StartAsync(Mesh mesh, int appPort) => HttpProxyListenerAsync(mesh, appPort);
}
