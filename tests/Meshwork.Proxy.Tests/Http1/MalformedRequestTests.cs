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
    public static TheoryData<string, string, int> Shapes => RequestSmugglingShapes.All;

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
        await client.SendAsync(RequestSmugglingShapes.Get + "X-A: a\r\n\r\n");
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
