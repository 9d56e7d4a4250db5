using System.Net.Security;
using System.Net.Sockets;
using System.Text;
using Meshwork.Proxy.Tests.Http1;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Reliability.Tests.Support;

namespace Meshwork.Reliability.Tests.HostileInput;

/// <summary>
/// The request-smuggling shapes from a peer that holds a valid mesh certificate, at a STRICT port: the codec's
/// refusals hold inside mTLS too, nothing reaches the app, and the refusals are counted and logged in a few lines.
/// </summary>
public sealed class SmugglingOverMtlsTests : IAsyncLifetime
{
    private readonly Mesh _mesh = new();
    private readonly RecordingHttpApp _app = new();
    private readonly CapturedLogs _logs = new();
    private Pod _server = null!;

    public async Task InitializeAsync() =>
        _server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)], logs: _logs);

    public async Task DisposeAsync()
    {
        await _mesh.DisposeAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task Every_shape_is_refused_with_its_status_counted_and_never_reaches_the_app()
    {
        var shapes = RequestSmugglingShapes.All.Select(row => (Shape: (string)row[0], Request: (string)row[1], Status: (int)row[2])).ToList();
        foreach (var (shape, request, status) in shapes)
        {
            var answer = await SendOverMtlsAsync(request);
            Assert.True(answer.StartsWith($"HTTP/1.1 {status} ", StringComparison.Ordinal), $"{shape}: {answer}");
            Assert.Contains("connection: close", answer, StringComparison.OrdinalIgnoreCase);
        }
        Assert.Equal("", _app.Received);
        Assert.Equal(shapes.Count, await ProxyStats.RefusedAtLeastAsync(_server, "malformed_request", shapes.Count));
        Assert.InRange(_logs.Count("malformed_request"), 1, 5 * 4);

        var served = await SendOverMtlsAsync(RequestSmugglingShapes.Get + "\r\n");
        Assert.StartsWith("HTTP/1.1 200 ", served);
    }

    /// <summary>Sends <paramref name="request"/> over mTLS as foo/sleep and returns everything read until the proxy closed.</summary>
    private async Task<string> SendOverMtlsAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_server.Ip, _server.InboundPort(8000)).WaitAsync(TimeSpan.FromSeconds(60));
        await using var ssl = new SslStream(tcp.GetStream());
        await ssl.AuthenticateAsClientAsync(MeshClient.Options(_mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle, SslApplicationProtocol.Http11)).WaitAsync(TimeSpan.FromSeconds(60));
        await ssl.WriteAsync(Encoding.Latin1.GetBytes(request));
        var text = new StringBuilder();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            int n;
            while ((n = await ssl.ReadAsync(buffer, timeout.Token)) > 0)
            {
                text.Append(Encoding.Latin1.GetString(buffer, 0, n));
                if (IsCompleteResponse(text.ToString())) break;
            }
        }
        catch (IOException) { }
        return text.ToString();
    }

    /// <summary>A head and as many body bytes as its content-length announces.</summary>
    private static bool IsCompleteResponse(string text)
    {
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return false;
        var length = text[..end].Split("\r\n").FirstOrDefault(l => l.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase));
        return length is not null && text.Length - end - 4 >= int.Parse(length[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
