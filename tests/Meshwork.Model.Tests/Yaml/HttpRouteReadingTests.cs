using Meshwork.Model.Resources;

namespace Meshwork.Model.Tests.Yaml;

/// <summary>VirtualService HTTP routes read whole: every match kind and every action Meshwork executes.</summary>
public class HttpRouteReadingTests
{
    private const string Route = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: reviews, namespace: foo}
        spec:
          hosts: [reviews]
          http:
          - name: canary
            match:
            - uri: {prefix: /api/}
              method: {exact: GET}
              headers: {x-user: {regex: "j.*"}}
              queryParams: {debug: {exact: "1"}}
              port: 9080
            rewrite: {uri: /, authority: reviews.internal}
            timeout: 1.5s
            retries: {attempts: 2}
            headers:
              request:
                set: {x-route: canary}
                add: {x-trace: "1"}
                remove: [x-secret]
            route:
            - destination: {host: reviews, subset: v2, port: {number: 9080}}
              weight: 100
        """;

    [Fact]
    public void Every_match_and_action_of_a_route_is_read()
    {
        var vs = TestRead.One<VirtualService>(Route);
        var route = Assert.Single(vs.Spec.Http);
        var match = Assert.Single(route.Match);
        Assert.Equal("prefix:/api/", match.Uri);
        Assert.Equal("exact:GET", match.Method);
        Assert.Equal("regex:j.*", match.Headers["x-user"]);
        Assert.Equal("exact:1", match.QueryParams["debug"]);
        Assert.Equal(9080, match.Port);
        Assert.Equal(new HttpRewrite { Uri = "/", Authority = "reviews.internal" }, route.Rewrite);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), route.Timeout);
        Assert.Equal(new HttpRetry { Attempts = 2 }, route.Retries);
        Assert.Equal("canary", route.Headers!.Request!.Set["x-route"]);
        Assert.Equal("1", route.Headers.Request.Add["x-trace"]);
        Assert.Equal("x-secret", Assert.Single(route.Headers.Request.Remove));
    }

    [Fact]
    public void Retry_conditions_and_the_per_try_timeout_are_read()
    {
        var result = TestRead.Yaml(Route.Replace("retries: {attempts: 2}", "retries: {attempts: 2, perTryTimeout: 500ms, retryOn: \"gateway-error,connect-failure,409\"}", StringComparison.Ordinal));
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.Empty(result.Diagnostics);
        var retries = Assert.Single(((VirtualService)Assert.Single(result.Resources)).Spec.Http).Retries;
        Assert.Equal(new HttpRetry { Attempts = 2, PerTryTimeout = TimeSpan.FromMilliseconds(500), RetryOn = "gateway-error,connect-failure,409" }, retries);
    }

    [Theory]
    [InlineData("retryOn: \"5xx,bogus\"", "spec.http[0].retries.retryOn", "unknown retry condition \"bogus\"")]
    [InlineData("retryOn: envoy-ratelimited", "spec.http[0].retries.retryOn", "not supported by Meshwork")]
    [InlineData("retryOn: \"5xx,999\"", "spec.http[0].retries.retryOn", "not an HTTP status code")]
    [InlineData("perTryTimeout: 2 seconds", "spec.http[0].retries.perTryTimeout", "invalid duration")]
    [InlineData("attempts: -1", "spec.http[0].retries.attempts", "")]
    public void A_bad_retry_field_is_an_error_naming_it(string field, string path, string message)
    {
        var result = TestRead.Yaml(Route.Replace("retries: {attempts: 2}", $"retries: {{attempts: 2, {field}}}".Replace("attempts: 2, attempts", "attempts", StringComparison.Ordinal), StringComparison.Ordinal));
        Assert.True(result.HasErrors, TestRead.Dump(result));
        Assert.Contains(result.Errors, e => e.ToString().Contains(path, StringComparison.Ordinal) && e.ToString().Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public void Retry_backoff_is_warned_as_not_enforced()
    {
        var result = TestRead.Yaml(Route.Replace("retries: {attempts: 2}", "retries: {attempts: 2, backoff: 25ms}", StringComparison.Ordinal));
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.Contains("spec.http[0].retries.backoff", result.Diagnostics.Select(d => d.Path));
    }

    [Fact]
    public void Response_header_edits_are_read()
    {
        var vs = TestRead.One<VirtualService>(Route.Replace("\n    route:\n", "\n      response:\n        set: {x-served-by: mesh}\n        remove: [server]\n    route:\n", StringComparison.Ordinal));
        var response = Assert.Single(vs.Spec.Http).Headers!.Response!;
        Assert.Equal("mesh", response.Set["x-served-by"]);
        Assert.Equal("server", Assert.Single(response.Remove));
    }

    [Theory]
    [InlineData("request:\n        set: {\"x bad\": v}", "spec.http[0].headers.request.set")]
    [InlineData("response:\n        add: {x-ok: \"a\\r\\nx-smuggled: 1\"}", "spec.http[0].headers.response.add.x-ok")]
    [InlineData("response:\n        remove: [\"x:bad\"]", "spec.http[0].headers.response.remove[0]")]
    public void A_header_edit_that_would_break_the_head_is_an_error_naming_the_field(string edit, string field)
    {
        var yaml = Route.Replace("      request:\n        set: {x-route: canary}\n        add: {x-trace: \"1\"}\n        remove: [x-secret]\n", $"      {edit}\n", StringComparison.Ordinal);
        Assert.NotEqual(Route, yaml);
        var result = TestRead.Yaml(yaml);
        Assert.True(result.HasErrors);
        Assert.Contains(result.Errors, e => e.ToString().Contains(field, StringComparison.Ordinal));
    }

    [Fact]
    public void A_fault_is_read_with_its_percentages_and_all_requests_when_none_is_given()
    {
        var vs = TestRead.One<VirtualService>(Route.Replace("\n    route:\n", "\n    fault:\n      delay: {fixedDelay: 2s, percentage: {value: 12.5}}\n      abort: {httpStatus: 503}\n    route:\n", StringComparison.Ordinal));
        var fault = Assert.Single(vs.Spec.Http).Fault!;
        Assert.Equal(new FaultDelay { FixedDelay = TimeSpan.FromSeconds(2), Percentage = 12.5 }, fault.Delay);
        Assert.Equal(new FaultAbort { HttpStatus = 503, Percentage = 100 }, fault.Abort);
    }

    [Theory]
    [InlineData("{}", "spec.http[0].fault")]
    [InlineData("{abort: {httpStatus: 700}}", "spec.http[0].fault.abort.httpStatus")]
    [InlineData("{delay: {percentage: {value: 10}}}", "spec.http[0].fault.delay.fixedDelay")]
    [InlineData("{abort: {httpStatus: 503, percentage: {value: 150}}}", "spec.http[0].fault.abort.percentage.value")]
    public void A_fault_istio_would_refuse_is_an_error_naming_the_field(string fault, string field)
    {
        var result = TestRead.Yaml(Route.Replace("\n    route:\n", $"\n    fault: {fault}\n    route:\n", StringComparison.Ordinal));
        Assert.True(result.HasErrors);
        Assert.Contains(result.Errors, e => e.ToString().Contains(field, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("1.5s", 1500)]
    [InlineData("100ms", 100)]
    [InlineData("1m30s", 90_000)]
    [InlineData("2h", 7_200_000)]
    public void Durations_read_as_istio_writes_them(string text, int milliseconds)
    {
        Assert.True(Meshwork.Model.Yaml.Reading.DurationReader.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("s")]
    [InlineData("1.5 s")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("48h")]
    public void A_duration_without_a_unit_or_out_of_bounds_is_refused(string text) =>
        Assert.False(Meshwork.Model.Yaml.Reading.DurationReader.TryParse(text, out _));

    private const string TcpRoutes = """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: mongo, namespace: foo}
        spec:
          hosts: [mongo]
          tcp:
          - match: [{port: 27017}]
            route:
            - destination: {host: mongo, subset: v1, port: {number: 27017}}
              weight: 80
            - destination: {host: mongo, subset: v2, port: {number: 27017}}
              weight: 20
        """;

    [Fact]
    public void A_tcp_route_is_read_with_its_port_match_and_weights()
    {
        var route = Assert.Single(TestRead.One<VirtualService>(TcpRoutes).Spec.Tcp);
        Assert.Equal(27017, Assert.Single(route.Match).Port);
        Assert.Equal([80, 20], route.Route.Select(d => d.Weight));
    }

    [Fact]
    public void A_tcp_match_field_Meshwork_does_not_enforce_is_warned_by_name()
    {
        var result = TestRead.Yaml(TcpRoutes.Replace("{port: 27017}", "{port: 27017, sourceLabels: {app: sleep}}", StringComparison.Ordinal));
        Assert.False(result.HasErrors, TestRead.Dump(result));
        Assert.Contains("spec.tcp[0].match[0].sourceLabels", result.Diagnostics.Select(d => d.Path));
    }
}
