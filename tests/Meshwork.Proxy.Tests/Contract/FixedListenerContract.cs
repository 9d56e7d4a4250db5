using System.Net;
using Meshwork.Proxy.Hosting;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>Outbound through a fixed listener (MESHWORK_OUTBOUND_FIXED) serving httpbin.foo:8000, HTTP/1.1 to the server sidecar.</summary>
public sealed class FixedListenerContract : EntryPathContract
{
    protected override async Task<IEntryPath> OpenAsync(ContractChain chain) => await FixedListenerEntry.StartAsync(chain, http2: false);
}

/// <summary>Outbound through a fixed listener whose upstream is HTTP/2 (MESHWORK_UPSTREAM_HTTP2=1): streams of one mTLS h2 connection.</summary>
public sealed class FixedListenerHttp2Contract : EntryPathContract
{
    protected override async Task<IEntryPath> OpenAsync(ContractChain chain) => await FixedListenerEntry.StartAsync(chain, http2: true);
}

/// <summary>sleep.foo's sidecar with a fixed listener; curl sends to the listener with the request's Host.</summary>
internal sealed class FixedListenerEntry(ProxyHost client, IPEndPoint listen) : IEntryPath
{
    public static async Task<FixedListenerEntry> StartAsync(ContractChain chain, bool http2)
    {
        var (client, listen) = await FixedListenerChain.StartClientAsync(chain.Mesh, chain.Service, http2, chain.Routes);
        return new FixedListenerEntry(client, listen);
    }

    public Uri? SourceAdmin => new($"http://{client.AdminEndPoint}/");

    public Task<ContractResponse> SendAsync(ContractRequest request) =>
        CurlRequest.SendAsync(request, $"http://{listen}{request.Path}", "-H", $"Host: {request.Host}");

    public Task SendManyAsync(ContractRequest request, int count) =>
        CurlRequest.SendManyAsync(request, count, $"http://{listen}{request.Path}", "-H", $"Host: {request.Host}");

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
