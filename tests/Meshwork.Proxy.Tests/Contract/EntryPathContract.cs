using System.Text.Json;
using System.Text.RegularExpressions;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Authorization;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>
/// The behaviours every way into the sidecar must share, each stated once. A subclass says how a request
/// travels its entry path (<see cref="OpenAsync"/>) and, with a reason, what its path cannot carry by nature.
/// Outbound paths go client sidecar → mTLS → server sidecar → app; inbound paths are a mesh client with a
/// workload certificate talking to the server sidecar directly.
/// </summary>
public abstract partial class EntryPathContract : IAsyncLifetime
{
    protected const string RbacDenied = "RBAC: access denied";
    private readonly Mesh _mesh = new();
    private readonly List<IEntryPath> _opened = [];
    private EchoApp _app = null!;

    public async Task InitializeAsync() => _app = await _mesh.StartAppAsync(address: AppAddress);

    public async Task DisposeAsync()
    {
        foreach (var entry in _opened) await entry.DisposeAsync();
        await _mesh.DisposeAsync();
    }

    /// <summary>Opens this entry path to <paramref name="chain"/>'s server sidecar.</summary>
    protected abstract Task<IEntryPath> OpenAsync(ContractChain chain);

    /// <summary>Where the app listens; a path whose server sidecar runs in a pod's network namespace needs an address the pod reaches.</summary>
    protected virtual System.Net.IPAddress AppAddress => System.Net.IPAddress.Loopback;

    /// <summary>Where the chain's server sidecars listen; null: loopback addresses. A path whose client runs in a pod needs one the pod reaches.</summary>
    protected virtual string? ServerIp => null;

    /// <summary>The reporter=destination metrics of the path's server sidecar.</summary>
    private static Uri DestinationAdmin(ContractChain chain, IEntryPath entry) => entry.DestinationAdmin ?? chain.Server.Admin;

    /// <summary>Why this path has no secure naming (its inbound equivalent is then asserted: an untrusted peer is refused); null: it has.</summary>
    protected virtual string? NoSecureNaming => null;

    /// <summary>Why this path picks no endpoint to retry on (its inbound equivalent is then asserted: a refusing app is a 503 UF); null: it retries.</summary>
    protected virtual string? NoEndpointRetry => null;

    /// <summary>Why no reporter=source series exists on this path (only the destination series is then held to the contract); null: it exists.</summary>
    protected virtual string? NoSourceReporter => null;

    /// <summary>
    /// Why this path's source sidecar counts a TCP connection (istio_tcp_connections_closed_total) rather than a
    /// request: its bytes are tunnelled, not parsed. The source series is then that one; null: it counts requests.
    /// </summary>
    protected virtual string? SourceCountsTcp => null;

    /// <summary>The series the source sidecar keeps for this path.</summary>
    private string SourceMetric => SourceCountsTcp is null ? "istio_requests_total" : "istio_tcp_connections_closed_total";

    /// <summary>Labels a TCP series does not carry or carries per connection.</summary>
    private static readonly string[] RequestOnly = ["request_protocol", "response_code", "response_flags", "grpc_response_status"];

    /// <summary>Labels whose value legitimately differs on this path from <see cref="ExpectedLabels"/>, with the value they have here and why.</summary>
    protected virtual IReadOnlyDictionary<string, string> LabelDifferences => new Dictionary<string, string>();

    /// <summary>
    /// The reporter=destination series of one GET from sleep.foo to httpbin.foo that the app answered 200,
    /// whatever path it took. The reporter=source series carries the same labels, except the two that Istio
    /// defines per reporter: reporter itself, and connection_security_policy, which only the destination knows.
    /// </summary>
    protected static IReadOnlyDictionary<string, string> ExpectedLabels { get; } = new Dictionary<string, string>
    {
        ["reporter"] = "destination",
        ["source_workload"] = "sleep",
        ["source_canonical_service"] = "sleep",
        ["source_canonical_revision"] = "latest",
        ["source_workload_namespace"] = "foo",
        ["source_principal"] = ContractChain.SleepId,
        ["source_app"] = "sleep",
        ["source_version"] = "v1",
        ["source_cluster"] = "Kubernetes",
        ["destination_workload"] = "httpbin",
        ["destination_workload_namespace"] = "foo",
        ["destination_principal"] = ContractChain.HttpbinId,
        ["destination_app"] = "httpbin",
        ["destination_version"] = "v1",
        ["destination_service"] = "httpbin.foo.svc.cluster.local",
        ["destination_canonical_service"] = "httpbin",
        ["destination_canonical_revision"] = "latest",
        ["destination_service_name"] = "httpbin",
        ["destination_service_namespace"] = "foo",
        ["destination_cluster"] = "Kubernetes",
        ["request_protocol"] = "http",
        ["response_code"] = "200",
        ["grpc_response_status"] = "",
        ["response_flags"] = "-",
        ["connection_security_policy"] = "mutual_tls",
    };

    private static readonly string[] PerReporter = ["reporter", "connection_security_policy"];

    private async Task<(ContractChain Chain, IEntryPath Entry)> OpenAsync(ChainShape shape)
    {
        var chain = await ContractChain.StartAsync(_mesh, _app, shape, ServerIp);
        var entry = await OpenAsync(chain);
        _opened.Add(entry);
        return (chain, entry);
    }

    private static AuthzPolicy AllowHosts(params string[] hosts) => new()
    {
        Name = "foo/allow-hosts", Action = AuthzAction.Allow,
        Rules = [new AuthzRule { To = [new AuthzOperation { Hosts = [.. hosts] }] }],
    };

    // Istio judges the Host as the client sent it, port included (istio#44080; ISTIO-SEMANTICS §4.5).
    [Fact]
    public virtual Task A_policy_listing_host_and_port_allows_that_Host_and_denies_the_bare_host() =>
        AssertOnlyTheListedHostIsAllowedAsync(listed: "httpbin.foo:8000", unlisted: "httpbin.foo");

    [Fact]
    public virtual Task A_policy_listing_the_bare_host_allows_it_and_denies_host_and_port() =>
        AssertOnlyTheListedHostIsAllowedAsync(listed: "httpbin.foo", unlisted: "httpbin.foo:8000");

    private async Task AssertOnlyTheListedHostIsAllowedAsync(string listed, string unlisted)
    {
        var (_, entry) = await OpenAsync(new ChainShape { Policies = [AllowHosts(listed)] });
        var allowed = await entry.SendAsync(new ContractRequest(listed, "/name"));
        Assert.Equal(200, allowed.Status);
        var denied = await entry.SendAsync(new ContractRequest(unlisted, "/name"));
        Assert.Equal(403, denied.Status);
        Assert.Equal(RbacDenied, denied.Body.Trim());
    }

    [Fact]
    public virtual async Task The_app_sees_one_xfcc_naming_the_client_and_never_a_forged_one()
    {
        var (_, entry) = await OpenAsync(new ChainShape());
        const string Forged = "By=spiffe://cluster.local/ns/foo/sa/httpbin;URI=spiffe://cluster.local/ns/istio-system/sa/admin";
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/headers", ("x-forwarded-client-cert", Forged)));
        Assert.Equal(200, response.Status);
        using var json = JsonDocument.Parse(response.Body);
        // The app joins repeated fields with a comma, as XFCC joins elements: one element means one field.
        var xfcc = json.RootElement.GetProperty("headers").GetProperty("x-forwarded-client-cert").GetString()!;
        Assert.Matches($"^By={Regex.Escape(ContractChain.HttpbinId)};Hash=[0-9a-f]{{64}};Subject=\"\";URI={Regex.Escape(ContractChain.SleepId)}$", xfcc);
    }

    [Fact]
    public virtual async Task Secure_naming_failure_is_a_503_with_the_connection_failure_flag()
    {
        if (NoSecureNaming is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason));
            // The inbound equivalent: a peer whose certificate the mesh does not trust never reaches the app.
            var (_, inbound) = await OpenAsync(new ChainShape { ForeignClient = true });
            var refused = await inbound.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
            Assert.Equal(0, refused.Status);
            Assert.Equal(0, _app.Requests("/name"));
            return;
        }
        var (_, entry) = await OpenAsync(new ChainShape { ServerServiceAccount = "impostor" });
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal(503, response.Status);
        Assert.Equal(0, _app.Requests("/name"));
        var source = SourceCountsTcp is null
            ? await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "503")
            : await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_flags"] != "-", SourceMetric);
        Assert.NotNull(source);
        // Envoy's UF: the upstream connection failed (the TLS handshake, here), as ErrorResponder maps it.
        Assert.Equal("UF", source["response_flags"]);
    }

    [Fact]
    public virtual async Task An_unsent_request_is_retried_on_the_next_endpoint_and_reaches_the_app_once()
    {
        if (NoEndpointRetry is { } reason)
        {
            Assert.False(string.IsNullOrWhiteSpace(reason));
            // The inbound equivalent: the one endpoint, the app, refuses; nothing else to try.
            var (inboundChain, inbound) = await OpenAsync(new ChainShape { AppRefuses = true });
            var refused = await inbound.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
            Assert.Equal(503, refused.Status);
            var destination = await RequestSeries.WaitForAsync(DestinationAdmin(inboundChain, inbound), "destination", s => s["response_code"] == "503");
            Assert.NotNull(destination);
            Assert.Equal("UF", destination["response_flags"]);
            return;
        }
        var (_, entry) = await OpenAsync(new ChainShape { RefusingEndpointFirst = true });
        var response = await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"));
        Assert.Equal(200, response.Status);
        Assert.Equal(_app.Name, response.Body.Trim());
        Assert.Equal(1, _app.Requests("/name"));
    }

    [Fact]
    public virtual async Task Both_reporters_count_the_request_with_the_same_labels()
    {
        var (chain, entry) = await OpenAsync(new ChainShape());
        Assert.Equal(200, (await entry.SendAsync(new ContractRequest("httpbin.foo:8000", "/name"))).Status);

        var expected = new Dictionary<string, string>(ExpectedLabels);
        foreach (var (label, value) in LabelDifferences) expected[label] = value;
        var destination = await RequestSeries.WaitForAsync(DestinationAdmin(chain, entry), "destination", s => s["response_code"] == "200");
        Assert.NotNull(destination);
        Assert.Equal(1, destination.Count);
        Assert.Empty(Differences(expected, destination.Labels, except: []));

        if (NoSourceReporter is { } reason)
        {
            Assert.Null(entry.SourceAdmin);
            Assert.False(string.IsNullOrWhiteSpace(reason));
            return;
        }
        if (SourceCountsTcp is not null)
        {
            // The tunnel closes with the exchange: its one connection, labelled as the request was, minus what only a request has.
            var tunnel = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", _ => true, SourceMetric);
            Assert.NotNull(tunnel);
            Assert.Equal(1, tunnel.Count);
            Assert.Empty(Differences(destination.Labels, tunnel.Labels, except: [.. PerReporter, .. RequestOnly, .. LabelDifferences.Keys]));
            return;
        }
        var source = await RequestSeries.WaitForAsync(entry.SourceAdmin!, "source", s => s["response_code"] == "200");
        Assert.NotNull(source);
        Assert.Equal(1, source.Count);
        Assert.Empty(Differences(destination.Labels, source.Labels, except: PerReporter));
    }

    /// <summary>Every label, but <paramref name="except"/>, whose value in <paramref name="actual"/> is not the one in <paramref name="expected"/>.</summary>
    private static IEnumerable<string> Differences(IReadOnlyDictionary<string, string> expected, IReadOnlyDictionary<string, string> actual, string[] except) =>
        expected.Keys.Union(actual.Keys).Where(k => !except.Contains(k)).Order(StringComparer.Ordinal)
            .Where(k => expected.GetValueOrDefault(k) != actual.GetValueOrDefault(k))
            .Select(k => $"{k}: expected \"{expected.GetValueOrDefault(k) ?? "(absent)"}\", got \"{actual.GetValueOrDefault(k) ?? "(absent)"}\"").ToList();
}
