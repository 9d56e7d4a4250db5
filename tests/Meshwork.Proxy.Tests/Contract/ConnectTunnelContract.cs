using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>Outbound through :15001 with CONNECT httpbin.foo:8000 (RFC 9110 §9.3.6), then HTTP/1.1 inside the tunnel with the request's Host.</summary>
public sealed class ConnectTunnelContract : EntryPathContract
{
    [Fact(Skip = KnownFailures.ConnectRefusalCountedAtL4)]
    public override Task Secure_naming_failure_is_a_503_with_the_connection_failure_flag() => base.Secure_naming_failure_is_a_503_with_the_connection_failure_flag();

    [Fact(Skip = KnownFailures.ConnectTunnelOpaque)]
    public override Task Both_reporters_count_the_request_with_the_same_labels() => base.Both_reporters_count_the_request_with_the_same_labels();

    protected override async Task<IEntryPath> OpenAsync(ContractChain chain) =>
        new Entry(await chain.StartClientPodAsync());

    private sealed class Entry(Pod client) : IEntryPath
    {
        public Uri? SourceAdmin => client.Admin;

        public async Task<ContractResponse> SendAsync(ContractRequest request)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(client.Proxy.OutboundEndPoint);
            var stream = tcp.GetStream();
            await stream.WriteAsync("CONNECT httpbin.foo:8000 HTTP/1.1\r\nHost: httpbin.foo:8000\r\n\r\n"u8.ToArray());
            var head = new List<byte>();
            var one = new byte[1];
            while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
            {
                if (await stream.ReadAsync(one).AsTask().WaitAsync(TimeSpan.FromSeconds(60)) == 0) return new ContractResponse(0, "closed before the CONNECT answer: " + Encoding.ASCII.GetString([.. head]));
                head.Add(one[0]);
            }
            if (!Encoding.ASCII.GetString([.. head]).StartsWith("HTTP/1.1 200", StringComparison.Ordinal))
            {
                // The tunnel was refused: its answer is the response.
                using var rest = new MemoryStream();
                await stream.CopyToAsync(rest).WaitAsync(TimeSpan.FromSeconds(60));
                return Http1Exchange.Parse([.. head, .. rest.ToArray()]);
            }
            return await Http1Exchange.SendAsync(stream, request, []);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;   // the mesh owns the pod
    }
}
