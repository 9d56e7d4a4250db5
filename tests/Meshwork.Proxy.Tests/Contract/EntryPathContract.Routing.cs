using System.Text.Json;
using Meshwork.ProxyProtocol.Snapshots;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>
/// VirtualService routing, held on every path that parses the request on the client side: matches, rewrites,
/// header edits, weighted subsets, timeouts, retries, and the two ways routing fails.
/// </summary>
public abstract partial class EntryPathContract
{
    /// <summary>Why HTTP routing does not apply on this path (no client sidecar parses the request); null: it does.</summary>
    protected virtual string? NoHttpRouting => null;

    private static HttpRouteRule ToSubset(string subset, params HttpRouteMatch[] matches) => new()
    {
        Matches = [.. matches],
        Destinations = [new RouteCluster { Host = ContractChain.HttpbinHost, Port = 0, Subset = subset }],
    };

    private static HttpRouteMatch Header(string name, string value) => new() { Headers = [new NamedMatch(name, new StringMatchRule(StringMatchKind.Exact, value))] };

    private static HttpRouteMatch Prefix(string prefix) => new() { Uri = new StringMatchRule(StringMatchKind.Prefix, prefix) };

    /// <summary>Opens the path with <paramref name="routes"/>; false (with the reason checked) on a path without HTTP routing.</summary>
    private async Task<(ContractChain Chain, IEntryPath Entry)?> OpenRoutedAsync(ChainShape shape)
    {
        if (NoHttpRouting is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason));
            return null;
        }
        return await OpenAsync(shape);
    }

    [Fact]
    public virtual async Task The_first_matching_route_wins_and_a_header_match_picks_its_subset()
    {
        if (await OpenRoutedAsync(new ChainShape { Routes = [ToSubset("v2", Header("x-version", "v2")), ToSubset("v1")] }) is not var (chain, entry)) return;
        var v2 = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name", ("x-version", "v2")));
        Assert.Equal(200, v2.Status);
        Assert.Equal("httpbin-v2", v2.Body.Trim());
        var v1 = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name", ("x-version", "v3")));
        Assert.Equal(200, v1.Status);
        Assert.Equal("httpbin", v1.Body.Trim());
        Assert.Equal(1, chain.AppV2!.Requests("/name"));
    }

    [Fact]
    public virtual async Task A_prefix_rewrite_and_header_edits_reach_the_app()
    {
        var rewrite = ToSubset("v1", Prefix("/api/")) with
        {
            RewriteUri = "/",
            RewriteAuthority = "httpbin.rewritten:8000",
            RequestHeaders = new HeaderEdits { Set = [new HeaderValue("x-route", "api")], Remove = ["x-secret"] },
        };
        if (await OpenRoutedAsync(new ChainShape { Routes = [rewrite] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/api/headers", ("x-route", "client"), ("x-secret", "s3cret")));
        Assert.Equal(200, response.Status);
        Assert.Equal(1, _app.Requests("/headers"));
        using var json = JsonDocument.Parse(response.Body);
        var headers = json.RootElement.GetProperty("headers");
        Assert.Equal("api", headers.GetProperty("x-route").GetString());
        Assert.False(headers.TryGetProperty("x-secret", out _));
        Assert.Equal("httpbin.rewritten:8000", headers.GetProperty("host").GetString());
    }

    [Fact]
    public virtual async Task Response_header_edits_set_add_and_remove_fields_of_the_apps_answer()
    {
        var edited = ToSubset("v1") with
        {
            ResponseHeaders = new HeaderEdits
            {
                Set = [new HeaderValue("x-served-by", "mesh")],
                Add = [new HeaderValue("x-route", "v1")],
                Remove = ["x-internal"],
            },
        };
        if (await OpenRoutedAsync(new ChainShape { Routes = [edited] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/response-headers?x-served-by=app&x-route=app&x-internal=secret"));
        Assert.Equal(200, response.Status);
        Assert.Equal(["mesh"], response.Values("x-served-by"));
        Assert.Equal(["app", "v1"], response.Values("x-route"));
        Assert.Empty(response.Values("x-internal"));
    }

    [Fact]
    public virtual async Task An_injected_abort_answers_its_status_without_reaching_the_app_and_flags_FI()
    {
        var aborting = ToSubset("v1") with { Fault = new RouteFault { AbortStatus = 418, AbortPercent = 100 } };
        if (await OpenRoutedAsync(new ChainShape { Routes = [aborting] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal((418, "fault filter abort"), (response.Status, response.Body.Trim()));
        Assert.Equal(0, _app.Requests("/name"));
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "418");
        Assert.NotNull(source);
        Assert.Equal("FI", source["response_flags"]);
    }

    [Fact]
    public virtual async Task An_injected_delay_still_forwards_the_request_and_flags_DI()
    {
        var delayed = ToSubset("v1") with { Fault = new RouteFault { DelayMs = 200, DelayPercent = 100 } };
        if (await OpenRoutedAsync(new ChainShape { Routes = [delayed] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal((200, "httpbin"), (response.Status, response.Body.Trim()));
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "200");
        Assert.NotNull(source);
        Assert.Equal("DI", source["response_flags"]);
    }

    [Fact]
    public virtual async Task A_50_percent_abort_lets_about_half_the_requests_through()
    {
        var half = ToSubset("v1") with { Fault = new RouteFault { AbortStatus = 503, AbortPercent = 50 } };
        if (await OpenRoutedAsync(new ChainShape { Routes = [half] }) is not var (_, entry)) return;
        const int Requests = 400;
        await entry.SendManyAsync(new ContractRequest("httpbin.foo:8000", "/split"), Requests);
        // 12.5 points is 5 standard deviations of a fair draw over 400 requests.
        Assert.InRange(_app.Requests("/split"), Requests * 375 / 1000, Requests * 625 / 1000);
    }

    [Fact]
    public virtual async Task A_request_no_route_matches_is_a_404_with_the_no_route_flag()
    {
        if (await OpenRoutedAsync(new ChainShape { Routes = [ToSubset("v1", Prefix("/only/"))] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal(404, response.Status);
        Assert.Equal(0, _app.Requests("/name"));
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "404");
        Assert.NotNull(source);
        Assert.Equal("NR", source["response_flags"]);
    }

    [Fact]
    public virtual async Task A_route_to_an_undefined_subset_is_a_503_with_the_no_cluster_flag()
    {
        if (await OpenRoutedAsync(new ChainShape { Routes = [ToSubset("v9")] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal(503, response.Status);
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "503");
        Assert.NotNull(source);
        Assert.Equal("NC", source["response_flags"]);
    }

    [Fact]
    public virtual async Task A_route_timeout_answers_504_with_the_timeout_flag()
    {
        if (await OpenRoutedAsync(new ChainShape { Routes = [ToSubset("v1") with { TimeoutMs = 300 }] }) is not var (_, entry)) return;
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/delay/20000"));
        Assert.Equal(504, response.Status);
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "504");
        Assert.NotNull(source);
        Assert.Equal("UT", source["response_flags"]);
        // The same route answers a quick request normally. Its 300 ms cover a new mTLS connection too, which a sidecar in
        // a process of its own, on a busy machine, may not make in time: a few tries, as a client would retry.
        var quick = 0;
        for (var attempt = 0; attempt < 5 && quick != 200; attempt++) quick = (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"))).Status;
        Assert.Equal(200, quick);
    }

    [Fact]
    public virtual async Task A_50_50_split_sends_each_subset_half_the_requests_within_5_points()
    {
        var split = new HttpRouteRule
        {
            Destinations =
            [
                new RouteCluster { Host = ContractChain.HttpbinHost, Port = 0, Subset = "v1", Weight = 50 },
                new RouteCluster { Host = ContractChain.HttpbinHost, Port = 0, Subset = "v2", Weight = 50 },
            ],
        };
        if (await OpenRoutedAsync(new ChainShape { Routes = [split] }) is not var (chain, entry)) return;
        const int Requests = 2000;
        await entry.SendManyAsync(new ContractRequest("httpbin.foo:8000", "/split"), Requests);
        var v1 = _app.Requests("/split");
        var v2 = chain.AppV2!.Requests("/split");
        Assert.Equal(Requests, v1 + v2);
        // 5 points is 4.5 standard deviations of a fair split over 2,000 draws.
        Assert.InRange(v1, Requests * 45 / 100, Requests * 55 / 100);
    }

    [Fact]
    public virtual async Task Route_retries_bound_the_endpoints_a_refused_request_is_tried_on()
    {
        if (NoEndpointRetry is not null || NoHttpRouting is not null)
        {
            Assert.False(string.IsNullOrWhiteSpace(NoEndpointRetry ?? NoHttpRouting));
            return;
        }
        // Subset v1 lists a refusing endpoint first; retries.attempts 0 leaves the first attempt only.
        var noRetry = ToSubset("v1") with { Retry = new RouteRetry { Attempts = 0 } };
        var (_, entry) = await OpenAsync(new ChainShape { Routes = [noRetry], RefusingEndpointFirst = true });
        Assert.Equal(503, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"))).Status);

        var (_, retrying) = await OpenAsync(new ChainShape { Routes = [ToSubset("v1") with { Retry = new RouteRetry { Attempts = 2, On = ["connect-failure"] } }], RefusingEndpointFirst = true });
        var response = await retrying.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal(200, response.Status);
        Assert.Equal("httpbin", response.Body.Trim());
    }
}
