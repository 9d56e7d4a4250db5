using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>Inbound HTTP/1.1 over mTLS (ALPN http/1.1) on the server sidecar's workload port.</summary>
public sealed class InboundHttp1Contract : InboundEntryPathContract
{
    protected override Task<IEntryPath> OpenAsync(ContractChain chain) => Task.FromResult<IEntryPath>(new Entry(chain));

    private sealed class Entry(ContractChain chain) : IEntryPath
    {
        public Uri? SourceAdmin => null;

        public async Task<ContractResponse> SendAsync(ContractRequest request)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(chain.Server.Ip, chain.Server.InboundPort(8000));
            await using var tls = new SslStream(tcp.GetStream());
            try { await tls.AuthenticateAsClientAsync(MeshClient.Options(chain.ClientCredentials, chain.Mesh.Ca.TrustBundle, SslApplicationProtocol.Http11)); }
            catch (Exception e) when (e is AuthenticationException or IOException) { return ContractResponse.NoAnswer(e); }
            return await Http1Exchange.SendAsync(tls, request, PeerFields);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
