using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Tests.Support;

namespace Meshwork.Proxy.Tests.Contract;

/// <summary>Outbound through :15001 with CONNECT httpbin.foo:8000 (RFC 9110 §9.3.6), then HTTP/1.1 inside the tunnel with the request's Host.</summary>
public sealed class ConnectTunnelContract : EntryPathContract
{
    protected override string? NoHttpRouting => "a CONNECT tunnel carries bytes the client sidecar does not parse: HTTP routes cannot see its requests";

    protected override string? NoTcpRouting => null;

    protected override string? SourceCountsTcp => "CONNECT makes a byte tunnel: the client sidecar relays the app's bytes without parsing them, as Envoy's tcp_proxy counts a connection";

    /// <summary>No peer metadata rides inside a tunnel (the client sidecar adds no fields to bytes it does not parse): the destination knows the peer by its certificate only.</summary>
    protected override IReadOnlyDictionary<string, string> LabelDifferences { get; } = new Dictionary<string, string>
    {
        ["source_workload"] = "unknown",
        ["source_canonical_service"] = "unknown",
        ["source_app"] = "unknown",
        ["source_version"] = "unknown",
    };

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
