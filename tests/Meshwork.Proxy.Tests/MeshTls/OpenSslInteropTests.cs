using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Identity;
using Meshwork.Proxy.MeshTls;
using Meshwork.Proxy.Tests.Support;
using Meshwork.Testing;
using static Meshwork.Proxy.Tests.MeshTls.TlsLoopback;

namespace Meshwork.Proxy.Tests.MeshTls;

/// <summary>The OpenSSL engine's server against the openssl and curl command-line clients, with the workload's files as Istio writes them.</summary>
public sealed class OpenSslInteropTests : IDisposable
{
    private static readonly TestCertificateAuthority Ca = TestCertificateAuthority.Shared;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly string _files = Directory.CreateTempSubdirectory("mesh-tls-").FullName;

    public OpenSslInteropTests() => Ca.IssueWorkload("foo", "sleep").WriteTo(_files);

    public void Dispose() => Directory.Delete(_files, recursive: true);

    private string File(string name) => Path.Combine(_files, name);

    /// <summary>Serves every connection to a loopback port with the OpenSSL engine, answering each request with "ok".</summary>
    private sealed class Server : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _accepting;
        public readonly List<ServerHandshake> Outcomes = [];

        public Server()
        {
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        private async Task AcceptAsync()
        {
            while (true)
            {
                Socket socket;
                try { socket = await _listener.AcceptSocketAsync(); }
                catch (Exception e) when (e is SocketException or ObjectDisposedException) { return; }
                _ = Task.Run(() => ServeAsync(socket));
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            var outcome = await MeshTlsServer.HandshakeAsync(OnLoop(socket), Httpbin.Value, HandshakeTimeout, CancellationToken.None);
            lock (Outcomes) Outcomes.Add(outcome);
            if (outcome is not ServerHandshake.Mutual mutual) return;
            await using var _ = mutual.Tls;
            try
            {
                var request = new byte[4096];
                if (await mutual.Stream.ReadAsync(request) == 0) return;
                await mutual.Stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray());
                await mutual.Tls.ShutdownAsync();
            }
            catch (IOException) { /* a client that hangs up early */ }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _accepting;
        }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var bound = new CancellationTokenSource(Bound);
        try { await process.WaitForExitAsync(bound.Token); }
        catch (OperationCanceledException) { process.Kill(entireProcessTree: true); throw; }
        return (process.ExitCode, await stdout + await stderr);
    }

    [Fact]
    public async Task Curl_with_the_workload_certificate_gets_an_answer_over_mutual_TLS()
    {
        await using var server = new Server();
        var result = await Curl.RunAsync("--cert", File(WorkloadCredentials.CertChainFile), "--key", File(WorkloadCredentials.KeyFile),
            "--cacert", File(WorkloadCredentials.RootCertFile), "--insecure", "--http1.1", $"https://127.0.0.1:{server.Port}/");
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("200", result.HttpCode);
        Assert.Equal("ok", result.Body);
        var mutual = Assert.IsType<ServerHandshake.Mutual>(Assert.Single(server.Outcomes));
        Assert.Equal("spiffe://cluster.local/ns/foo/sa/sleep", mutual.PeerSpiffeUri);
        Assert.Equal("http/1.1", mutual.ApplicationProtocol);
    }

    [Fact]
    public async Task Reconnecting_clients_are_never_resumed_each_connection_proves_its_identity()
    {
        await using var server = new Server();
        var (exitCode, output) = await RunAsync("openssl", "s_client", "-connect", $"127.0.0.1:{server.Port}", "-reconnect",
            "-cert", File(WorkloadCredentials.CertChainFile), "-cert_chain", File(WorkloadCredentials.CertChainFile), "-key", File(WorkloadCredentials.KeyFile), "-CAfile", File(WorkloadCredentials.RootCertFile));
        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("Reused,", output);
        Assert.Equal(6, output.Split("New, TLSv1.3").Length - 1);
        lock (server.Outcomes) Assert.All(server.Outcomes, o => Assert.IsType<ServerHandshake.Mutual>(o));
    }

    [Fact]
    public async Task A_client_that_prefers_AES_256_gets_the_mesh_s_choice_AES_128_GCM()
    {
        await using var server = new Server();
        // openssl's own TLS 1.3 list puts TLS_AES_256_GCM_SHA384 first; the server's order (Envoy's) decides.
        var (exitCode, output) = await RunAsync("openssl", "s_client", "-connect", $"127.0.0.1:{server.Port}", "-ciphersuites",
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
            "-cert", File(WorkloadCredentials.CertChainFile), "-cert_chain", File(WorkloadCredentials.CertChainFile), "-key", File(WorkloadCredentials.KeyFile), "-CAfile", File(WorkloadCredentials.RootCertFile));
        Assert.True(exitCode == 0, output);
        Assert.Contains("New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256", output);
    }

    [Fact]
    public async Task A_TLS_1_1_client_is_refused_with_a_protocol_error()
    {
        await using var server = new Server();
        // The client's own security level would refuse TLS 1.1 before sending anything; lowered, it offers 1.1 only.
        var (exitCode, output) = await RunAsync("openssl", "s_client", "-connect", $"127.0.0.1:{server.Port}", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0",
            "-cert", File(WorkloadCredentials.CertChainFile), "-cert_chain", File(WorkloadCredentials.CertChainFile), "-key", File(WorkloadCredentials.KeyFile));
        Assert.NotEqual(0, exitCode);
        Assert.True(await Eventually.TrueAsync(() => { lock (server.Outcomes) return server.Outcomes.Count == 1; }));
        var failed = Assert.IsType<ServerHandshake.Failed>(Assert.Single(server.Outcomes));
        Assert.Equal(HandshakeFailure.ProtocolError, failed.Reason);
        Assert.Contains("unsupported protocol", failed.Detail);
        Assert.Contains("alert", output);
    }
}
