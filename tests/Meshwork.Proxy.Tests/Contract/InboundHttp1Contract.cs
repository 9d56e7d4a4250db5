using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>Inbound HTTP/1.1 over mTLS (ALPN http/1.1) on the server sidecar's workload port.</summary>
public sealed class InboundHttp1Contract : InboundEntryPathContract
{
    protected override Task<IEntryPath> OpenAsync(ContractChain chain) =>
        Task.FromResult<IEntryPath>(new InboundHttp1Entry(chain, new IPEndPoint(IPAddress.Parse(chain.Server.Ip), chain.Server.InboundPort(8000))));
}

/// <summary>A mesh client with the chain's client credentials sending HTTP/1.1 over mTLS to <paramref name="server"/>.</summary>
internal sealed class InboundHttp1Entry(ContractChain chain, IPEndPoint server, Uri? destinationAdmin = null, IAsyncDisposable? owned = null) : IEntryPath
{
    public Uri? SourceAdmin => null;

    public Uri? DestinationAdmin => destinationAdmin;

    public async Task<ContractResponse> SendAsync(ContractRequest request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server);
        await using var tls = new SslStream(tcp.GetStream());
        try { await tls.AuthenticateAsClientAsync(MeshClient.Options(chain.ClientCredentials, chain.Mesh.Ca.TrustBundle, SslApplicationProtocol.Http11)); }
        catch (Exception e) when (e is AuthenticationException or IOException) { return ContractResponse.NoAnswer(e); }
        return await Http1Exchange.SendAsync(tls, request, InboundEntryPathContract.PeerFields);
    }

    public ValueTask DisposeAsync() => owned?.DisposeAsync() ?? ValueTask.CompletedTask;
}
