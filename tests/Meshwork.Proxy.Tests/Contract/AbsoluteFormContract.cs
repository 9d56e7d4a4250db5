using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>
/// Outbound through the app's http_proxy listener (:15001) with absolute-form requests, as curl sends them.
/// The Host is the target's authority (RFC 9112 §3.2.2): a bare host reaches the service's port 80.
/// </summary>
public sealed class AbsoluteFormContract : EntryPathContract
{
    [Fact(Skip = KnownFailures.HostWithoutPort)]
    public override Task A_policy_listing_host_and_port_allows_that_Host_and_denies_the_bare_host() => base.A_policy_listing_host_and_port_allows_that_Host_and_denies_the_bare_host();

    [Fact(Skip = KnownFailures.HostWithoutPort)]
    public override Task A_policy_listing_the_bare_host_allows_it_and_denies_host_and_port() => base.A_policy_listing_the_bare_host_allows_it_and_denies_host_and_port();

    [Fact(Skip = KnownFailures.SourceWithoutDestinationMetadata)]
    public override Task Both_reporters_count_the_request_with_the_same_labels() => base.Both_reporters_count_the_request_with_the_same_labels();

    protected override async Task<IEntryPath> OpenAsync(ContractChain chain) =>
        new Entry(await chain.StartClientPodAsync());

    private sealed class Entry(Pod client) : IEntryPath
    {
        public Uri? SourceAdmin => client.Admin;

        public Task<ContractResponse> SendAsync(ContractRequest request) =>
            CurlRequest.SendAsync(request, $"http://{request.Host}{request.Path}", "-x", client.OutboundProxy.ToString());

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;   // the mesh owns the pod
    }
}
