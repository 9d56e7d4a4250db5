using System.Net;
using System.Net.Security;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>Inbound HTTP/2 over mTLS (ALPN h2) on the server sidecar's workload port; the Host is the :authority.</summary>
public sealed class InboundHttp2Contract : InboundEntryPathContract
{
    protected override Task<IEntryPath> OpenAsync(ContractChain chain) => Task.FromResult<IEntryPath>(new Entry(chain));

    private sealed class Entry : IEntryPath
    {
        private readonly ContractChain _chain;
        private readonly HttpClient _http;

        public Entry(ContractChain chain)
        {
            _chain = chain;
            var handler = new SocketsHttpHandler { SslOptions = MeshClient.Options(chain.ClientCredentials, chain.Mesh.Ca.TrustBundle, SslApplicationProtocol.Http2) };
            _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        }

        public Uri? SourceAdmin => null;

        public async Task<ContractResponse> SendAsync(ContractRequest request)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, $"https://{_chain.Server.Ip}:{_chain.Server.InboundPort(8000)}{request.Path}")
            {
                Version = HttpVersion.Version20,
                VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            };
            message.Headers.Host = request.Host;
            foreach (var (name, value) in request.Headers.Concat(PeerFields)) message.Headers.TryAddWithoutValidation(name, value);
            try
            {
                using var response = await _http.SendAsync(message);
                // The path under test is h2: an answer over anything else would test another path.
                Assert.Equal(HttpVersion.Version20, response.Version);
                return new ContractResponse((int)response.StatusCode, await response.Content.ReadAsStringAsync());
            }
            catch (HttpRequestException e) { return ContractResponse.NoAnswer(e); }
        }

        public ValueTask DisposeAsync()
        {
            _http.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
