using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Meshwork.Proxy.Tests.Support;
using Meshwork.ProxyProtocol.Snapshots;
using Meshwork.Reliability.Tests.Support;
using Meshwork.Identity;
using Meshwork.Testing;

namespace Meshwork.Reliability.Tests.HostileInput;

/// <summary>
/// A tester outside the mesh at a STRICT sidecar port: every way in without a valid mesh certificate is refused
/// before a byte reaches the app, counted, and logged a few lines at a time; a mesh client is served throughout.
/// </summary>
public sealed class TlsRefusalTests : IAsyncLifetime
{
    private const string HostilePath = "/hostile";
    private readonly Mesh _mesh = new();
    private readonly CapturedLogs _logs = new();
    private EchoApp _app = null!;
    private Pod _server = null!;

    public async Task InitializeAsync()
    {
        _app = await _mesh.StartAppAsync();
        _server = await _mesh.StartPodAsync("foo", "httpbin", inbound: [(Mesh.Inbound(8000, InboundTlsMode.Strict), _app.Port)], logs: _logs);
    }

    public async Task DisposeAsync() => await _mesh.DisposeAsync();

    private int Port => _server.InboundPort(8000);

    private async Task AssertMeshClientServedAsync()
    {
        var response = await MeshClient.GetAsync(_server.Ip, Port, _mesh.Ca.IssueWorkload("foo", "sleep"), _mesh.Ca.TrustBundle);
        Assert.StartsWith("HTTP/1.1 200", response);
    }

    [Fact]
    public async Task Plaintext_is_reset_counted_and_logged()
    {
        var result = await Curl.RunAsync($"http://{_server.Ip}:{Port}{HostilePath}");
        Assert.Equal("000", result.HttpCode);
        Assert.Equal(56, result.ExitCode);
        Assert.Equal(1, await ProxyStats.RefusedAtLeastAsync(_server, "plaintext_on_strict", 1));
        Assert.Contains(_logs.Lines, l => l.Contains("plaintext_on_strict", StringComparison.Ordinal) && l.Contains("STRICT", StringComparison.Ordinal));
        await AssertMeshClientServedAsync();
        Assert.Equal(0, _app.Requests(HostilePath));
    }

    [Fact]
    public async Task No_certificate_a_foreign_CA_an_expired_certificate_and_another_trust_domain_fail_the_handshake()
    {
        WorkloadCredentials?[] strangers =
        [
            null,
            TestCertificateAuthority.Create(name: "Foreign").IssueWorkload("foo", "sleep"),
            _mesh.Ca.IssueExpired(_mesh.Ca.Id("foo", "sleep")),
            _mesh.Ca.Issue(new LeafSpec { Identity = new SpiffeId("other.domain", "foo", "sleep") }),
        ];
        foreach (var stranger in strangers)
            await Assert.ThrowsAnyAsync<Exception>(() => MeshClient.GetAsync(_server.Ip, Port, stranger, _mesh.Ca.TrustBundle, HostilePath));

        Assert.Equal(strangers.Length, await ProxyStats.RefusedAtLeastAsync(_server, ProxyStats.AnyHandshakeFailure, strangers.Length));
        Assert.True(_logs.Count(" tls_") >= 1, string.Join('\n', _logs.Lines));
        await AssertMeshClientServedAsync();
        Assert.Equal(0, _app.Requests(HostilePath));
    }

    [Theory]
    [InlineData(0x01, "TLS 1.0")]
    [InlineData(0x02, "TLS 1.1")]
    public async Task A_ClientHello_offering_only_an_old_TLS_version_gets_no_ServerHello(byte minor, string version)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse(_server.Ip), Port)).WaitAsync(TimeSpan.FromSeconds(30));
        await socket.SendAsync(OldClientHello(minor), SocketFlags.None);
        var answer = await ReadUntilClosedAsync(socket);
        // A TLS alert (content type 21) or a reset, never a handshake record (22) with a ServerHello.
        Assert.True(answer.Length == 0 || answer[0] == 0x15, $"{version}: the proxy answered with record type {answer[0]}");
        Assert.True(await ProxyStats.RefusedAtLeastAsync(_server, ProxyStats.AnyHandshakeFailure, 1) >= 1);
        await AssertMeshClientServedAsync();
    }

    [Fact]
    public async Task A_flood_of_handshakes_without_certificates_is_refused_in_a_few_log_lines_and_a_mesh_client_is_served()
    {
        const int Flood = 400;
        var attacker = IPAddress.Parse(Mesh.NextPodIp());
        var endPoint = new IPEndPoint(IPAddress.Parse(_server.Ip), Port);
        var attempts = Enumerable.Range(0, Flood).Select(_ => HandshakeWithoutCertificateAsync(attacker, endPoint));
        var during = AssertMeshClientServedAsync();
        var admitted = await Task.WhenAll(attempts);
        await during;

        Assert.DoesNotContain(true, admitted);
        // Each is refused: in its handshake, or before it when the attacker's address already has its share of pending connections.
        var failed = await ProxyStats.RefusedAsync(_server, ProxyStats.AnyHandshakeFailure);
        var pending = await ProxyStats.RefusedAsync(_server, "pending_limit");
        Assert.True(await Eventually.TrueAsync(() => ProxyStats.RefusedAsync(_server, ProxyStats.AnyHandshakeFailure).Result + ProxyStats.RefusedAsync(_server, "pending_limit").Result == Flood, 60),
            $"{failed} handshakes failed and {pending} connections refused as pending, of {Flood}");
        // Rate-limited: five lines per reason per ten seconds, however many connections.
        Assert.InRange(_logs.Count(" tls_") + _logs.Count("pending_limit"), 1, 40);
        Assert.Equal(0, _app.Requests(HostilePath));
        await AssertMeshClientServedAsync();
    }

    /// <summary>A TLS client without a certificate from <paramref name="source"/>: true only if the proxy answered its request.</summary>
    private async Task<bool> HandshakeWithoutCertificateAsync(IPAddress source, IPEndPoint server)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(server).WaitAsync(TimeSpan.FromSeconds(60));
            await using var ssl = new SslStream(new NetworkStream(socket, ownsSocket: false));
            await ssl.AuthenticateAsClientAsync(MeshClient.Options(null, _mesh.Ca.TrustBundle, SslApplicationProtocol.Http11)).WaitAsync(TimeSpan.FromSeconds(60));
            await ssl.WriteAsync(Encoding.ASCII.GetBytes($"GET {HostilePath} HTTP/1.1\r\nHost: httpbin\r\n\r\n"));
            var buffer = new byte[64];
            return await ssl.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(60)) > 0;
        }
        catch (Exception e) when (e is IOException or SocketException or System.Security.Authentication.AuthenticationException) { return false; }
    }

    /// <summary>A ClientHello whose only version is 3.<paramref name="minor"/> (no supported_versions extension: RFC 8446 §4.2.1).</summary>
    private static byte[] OldClientHello(byte minor)
    {
        byte[] suites = [0xc0, 0x13, 0xc0, 0x14, 0x00, 0x2f, 0x00, 0x35, 0x00, 0x0a];
        var body = new List<byte> { 0x03, minor };
        body.AddRange(RandomNumberGenerator.GetBytes(32));
        body.Add(0);                                     // session id
        body.Add(0); body.Add((byte)suites.Length);      // cipher suites
        body.AddRange(suites);
        body.Add(1); body.Add(0);                        // compression: null
        var handshake = new List<byte> { 0x01, 0, (byte)(body.Count >> 8), (byte)body.Count };
        handshake.AddRange(body);
        var record = new List<byte> { 0x16, 0x03, 0x01, (byte)(handshake.Count >> 8), (byte)handshake.Count };
        record.AddRange(handshake);
        return [.. record];
    }

    private static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (true)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0) break;
                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException) { }
        return [.. received];
    }
}
