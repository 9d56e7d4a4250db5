using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>
/// VirtualService retries, held on every path that parses the request on the client side: Istio's default policy,
/// attempts 0, Envoy's status conditions (5xx, gateway-error, retriable-4xx) and the per-try timeout. The routes
/// send to subset v1, one endpoint, so every attempt reaches the same app and the app's count is the attempts made.
/// </summary>
public abstract partial class EntryPathContract
{
    private static HttpRouteRule Retrying(params string[] on) => ToSubset("v1") with { Retry = new RouteRetry { Attempts = 2, On = [.. on] } };

    /// <summary>Sends GET <paramref name="path"/> on a route with <paramref name="route"/>'s retries; the answer, or null on a path without HTTP routing.</summary>
    private async Task<ContractResponse?> SendRoutedAsync(HttpRouteRule route, string path)
    {
        if (await OpenRoutedAsync(new ChainShape { Routes = [route] }) is not var (_, entry)) return null;
        return await entry.SendAsync(new ContractRequest("httpbin.foo:8000", path));
    }

    [Fact]
    public virtual async Task Istios_default_policy_sends_a_503_twice_more_and_flags_the_last_answer_URX()
    {
        // No retries on the route: Istio's default (2 retries; connect-failure, refused-stream, unavailable, cancelled, 503).
        if (await OpenRoutedAsync(new ChainShape { Routes = [ToSubset("v1")] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/status/503"));
        Assert.Equal((503, "httpbin"), (response.Status, response.Body.Trim()));
        Assert.Equal(3, _app.Requests("/status/503"));
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "503");
        Assert.NotNull(source);
        Assert.Equal("URX", source["response_flags"]);
        Assert.Equal(1, source.Count);

        // A 500 is not among the default's conditions: sent once.
        Assert.Equal(500, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/status/500"))).Status);
        Assert.Equal(1, _app.Requests("/status/500"));
    }

    [Fact]
    public virtual async Task Attempts_zero_sends_a_failing_request_once()
    {
        if (await SendRoutedAsync(ToSubset("v1") with { Retry = new RouteRetry { Attempts = 0 } }, "/status/503") is not { } response) return;
        Assert.Equal(503, response.Status);
        Assert.Equal(1, _app.Requests("/status/503"));
    }

    [Fact]
    public virtual async Task Retry_on_5xx_sends_a_500_again_up_to_the_attempts()
    {
        if (await SendRoutedAsync(Retrying("5xx"), "/status/500") is not { } response) return;
        Assert.Equal(500, response.Status);
        Assert.Equal(3, _app.Requests("/status/500"));
    }

    [Fact]
    public virtual async Task Retry_on_gateway_error_sends_a_502_again_but_not_a_500()
    {
        if (await OpenRoutedAsync(new ChainShape { Routes = [Retrying("gateway-error")] }) is not var (_, entry)) return;
        Assert.Equal(502, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/status/502"))).Status);
        Assert.Equal(3, _app.Requests("/status/502"));
        Assert.Equal(500, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/status/500"))).Status);
        Assert.Equal(1, _app.Requests("/status/500"));
    }

    [Fact]
    public virtual async Task Retry_on_retriable_4xx_sends_a_409_again_and_a_listed_status_code_too()
    {
        var route = Retrying("retriable-4xx", "retriable-status-codes") with
        {
            Retry = new RouteRetry { Attempts = 1, On = ["retriable-4xx", "retriable-status-codes"], StatusCodes = [429] },
        };
        if (await OpenRoutedAsync(new ChainShape { Routes = [route] }) is not var (_, entry)) return;
        Assert.Equal(409, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/status/409"))).Status);
        Assert.Equal(2, _app.Requests("/status/409"));
        Assert.Equal(429, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/status/429"))).Status);
        Assert.Equal(2, _app.Requests("/status/429"));
        Assert.Equal(404, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/status/404"))).Status);
        Assert.Equal(1, _app.Requests("/status/404"));
    }

    [Fact]
    public virtual async Task A_per_try_timeout_sends_the_request_again_and_the_last_one_ends_504_UT()
    {
        // Each attempt may take 2 s; the app holds /delay/30000 far longer, so both attempts time out.
        var route = ToSubset("v1") with { Retry = new RouteRetry { Attempts = 1, PerTryTimeoutMs = 2000, On = ["gateway-error"] } };
        if (await OpenRoutedAsync(new ChainShape { Routes = [route] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/delay/30000"));
        Assert.Equal(504, response.Status);
        Assert.Equal(2, _app.Requests("/delay/30000"));
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "504");
        Assert.NotNull(source);
        Assert.Equal("UT", source["response_flags"]);
    }
}
