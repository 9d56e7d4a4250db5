using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>
/// Outbound through the app's http_proxy listener (:15001) with absolute-form requests, as curl sends them.
/// The Host is the target's authority (RFC 9112 §3.2.2): a bare host reaches the service's port 80.
/// </summary>
public sealed class AbsoluteFormContract : EntryPathContract
{
    protected override async Task<IEntryPath> OpenAsync(ContractChain chain) =>
        new Entry(await chain.StartClientPodAsync());

    private sealed class Entry(Pod client) : IEntryPath
    {
        public Uri? SourceAdmin => client.Admin;

        public Task<ContractResponse> SendAsync(ContractRequest request) =>
            CurlRequest.SendAsync(request, $"http://{request.Host}{request.Path}", "-x", client.OutboundProxy.ToString());

        public Task SendManyAsync(ContractRequest request, int count) =>
            CurlRequest.SendManyAsync(request, count, $"http://{request.Host}{request.Path}", "-x", client.OutboundProxy.ToString());

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;   // the mesh owns the pod
    }
}
