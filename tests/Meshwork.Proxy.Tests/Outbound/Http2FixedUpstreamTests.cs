using System.Net;
using System.Text.Json;
using Meshwork.Proxy.Configuration;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol;
using Meshwork.ProxyProtocol.Authorization;
using Meshwork.ProxyProtocol.Snapshots;
using Microsoft.Extensions.Logging;

namespace Meshwork.Proxy.Tests.Outbound;

/// <summary>
/// MESHWORK_UPSTREAM_HTTP2=1 on the client sidecar: HTTP/1.1 requests on its fixed outbound listener go to the
/// server sidecar as streams of one mTLS HTTP/2 connection, with the same secure naming, XFCC, authorization
/// and metrics as the HTTP/1.1 relay.
/// </summary>
public sealed class Http2FixedUpstreamTests : IAsyncLifetime
{
    private const string HttpbinId = FixedListenerChain.HttpbinId;
    private readonly Mesh _mesh = new();
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync();
    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private Task<(ProxyHost Client, IPEndPoint Fixed, Pod Server)> ChainAsync(string[]? accepted = null, params AuthzPolicy[] policies) =>
        FixedListenerChain.StartAsync(_mesh, _app, http2: true, accepted, policies);

    [Fact]
    public async Task Requests_from_many_connections_share_one_h2_connection_and_carry_xfcc_and_metrics()
    {
        var (client, listen, server) = await ChainAsync();
        try
        {
            // Four app connections, three requests each (kept alive), some at once.
            var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Curl.RunAsync(
                $"http://{listen}/headers", "-o", "/dev/null", $"http://{listen}/name", "-o", "/dev/null", $"http://{listen}/bytes/200000")));
            foreach (var result in results) Assert.Equal("200200200", result.HttpCode);
            var first = await Curl.RunAsync($"http://{listen}/headers");
            Assert.Equal("200", first.HttpCode);
            using var json = JsonDocument.Parse(first.Body);
            var headers = json.RootElement.GetProperty("headers");
            var xfcc = headers.GetProperty("x-forwarded-client-cert").GetString()!;
            Assert.StartsWith($"By={HttpbinId};Hash=", xfcc);
            Assert.EndsWith(";Subject=\"\";URI=spiffe://cluster.local/ns/foo/sa/sleep", xfcc);
            Assert.DoesNotContain("x-meshwork-peer", first.Body);

            // Every request went over the one mTLS connection the client sidecar opened to the endpoint.
            Assert.Equal(1, client.Metrics.HandshakeCount("outbound", true));
            Assert.Equal(1, server.Proxy.Metrics.HandshakeCount("inbound", true));

            // Metrics are recorded once a response has gone out: poll for the last ones.
            string source = "", destination = "";
            Assert.True(await Eventually.TrueAsync(() =>
            {
                source = Curl.RunAsync($"http://{client.AdminEndPoint}/stats/prometheus").GetAwaiter().GetResult().Body;
                return source.Split('\n').Any(l => l.StartsWith("istio_requests_total{reporter=\"source\",source_workload=\"sleep\"", StringComparison.Ordinal)
                    && l.Contains("destination_principal=\"spiffe://cluster.local/ns/foo/sa/httpbin\"") && l.Contains("response_code=\"200\"") && l.EndsWith(" 13", StringComparison.Ordinal));
            }), source);
            Assert.True(await Eventually.TrueAsync(() =>
            {
                destination = Curl.RunAsync($"{server.Admin}stats/prometheus").GetAwaiter().GetResult().Body;
                return destination.Split('\n').Any(l => l.StartsWith("istio_requests_total{reporter=\"destination\"", StringComparison.Ordinal)
                    && l.Contains("source_workload=\"sleep\"") && l.Contains("source_principal=\"spiffe://cluster.local/ns/foo/sa/sleep\"")
                    && l.Contains("connection_security_policy=\"mutual_tls\"") && l.Contains("response_code=\"200\"") && l.EndsWith(" 13", StringComparison.Ordinal));
            }), destination);
        }
        finally { await client.DisposeAsync(); }
    }

    [Fact]
    public async Task Request_bodies_go_through_with_content_length_and_chunked()
    {
        var (client, listen, _) = await ChainAsync();
        try
        {
            await FixedListenerChain.AssertUploadsGoThroughAsync(_mesh, listen);
        }
        finally { await client.DisposeAsync(); }
    }

    [Fact]
    public async Task Secure_naming_still_refuses_a_server_with_another_identity()
    {
        var (client, listen, _) = await ChainAsync(accepted: ["spiffe://cluster.local/ns/foo/sa/someone-else"]);
        try
        {
            var result = await Curl.RunAsync($"http://{listen}/ip");
            Assert.Equal("503", result.HttpCode);
            Assert.Contains("secure naming", result.Body);
        }
        finally { await client.DisposeAsync(); }
    }

    [Fact]
    public async Task Authorization_denials_come_back_as_403_over_h2()
    {
        var deny = new AuthzPolicy
        {
            Name = "foo/deny-sleep", Action = AuthzAction.Deny,
            Rules = [new AuthzRule { From = [new AuthzSource { Principals = ["cluster.local/ns/foo/sa/sleep"] }] }],
        };
        var (client, listen, _) = await ChainAsync(policies: deny);
        try
        {
            var result = await Curl.RunAsync($"http://{listen}/ip");
            Assert.Equal("403", result.HttpCode);
            Assert.Contains("RBAC: access denied", result.Body);
        }
        finally { await client.DisposeAsync(); }
    }

    [Theory]
    [InlineData("1", true)]
    [InlineData(null, false)]
    [InlineData("0", false)]
    public void The_environment_switch_turns_h2_on_for_the_fixed_listeners(string? value, bool expected)
    {
        var env = new Dictionary<string, string?>
        {
            [Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.Role] = "network",
            [Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.SnapshotFile] = "/tmp/s.json",
            [Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.OutboundFixed] = "127.0.0.1:9080=reviews.bookinfo:9080",
            [Meshwork.ProxyProtocol.ControlPlaneApi.ProxyEnvironment.UpstreamHttp2] = value,
        };
        var options = ProxyOptions.FromEnvironment(env, [], out var errors);
        Assert.Empty(errors);
        Assert.Equal(expected, options.UpstreamHttp2);
        Assert.Equal(expected, Assert.Single(options.FixedOutbound).Http2);
    }
}
