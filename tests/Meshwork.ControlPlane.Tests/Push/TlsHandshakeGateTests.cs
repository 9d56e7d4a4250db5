using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.ControlPlane.Push;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Meshwork.ControlPlane.Tests.Push;

/// <summary>
/// The handshake gate on a real Kestrel at 127.0.0.1:0 that lets one TLS handshake run at a time.
/// A client that connects and never says hello holds the one slot (the server's handshake timeout
/// is far away), so every other connection queues behind it.
/// </summary>
public sealed class TlsHandshakeGateTests
{
    [Fact]
    public async Task A_connection_waits_for_its_handshake_until_the_running_one_ends_then_completes_it()
    {
        var gate = new TlsHandshakeGate(new PushOptions { ConcurrentHandshakes = 1, HandshakeQueueWait = TimeSpan.FromMinutes(5) });
        await using var server = await StartAsync(gate);
        using var silent = await HoldTheSlotAsync(gate, server.Port);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.Port, Guard.Token);
        await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        var handshake = tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, Guard.Token);
        await Until(() => gate.Queued == 1);
        Assert.False(handshake.IsCompleted, "the second handshake ran while the first held the only slot");

        silent.Dispose();
        await handshake;
        Assert.True(tls.IsAuthenticated);
    }

    [Fact]
    public async Task A_connection_that_waits_longer_than_the_bound_is_closed_before_its_handshake()
    {
        var gate = new TlsHandshakeGate(new PushOptions { ConcurrentHandshakes = 1, HandshakeQueueWait = TimeSpan.FromSeconds(1) });
        await using var server = await StartAsync(gate);
        using var silent = await HoldTheSlotAsync(gate, server.Port);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.Port, Guard.Token);
        await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        var refused = await Record.ExceptionAsync(() => tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, Guard.Token));

        Assert.True(refused is IOException or AuthenticationException, $"expected the connection closed, got {refused?.GetType().Name ?? "a completed handshake"}");
        Assert.Equal(1, gate.ClosedUnserved);
        Assert.Equal(1, gate.Running);
    }

    [Fact]
    public async Task Without_a_limit_handshakes_are_not_queued()
    {
        var gate = new TlsHandshakeGate(new PushOptions { ConcurrentHandshakes = 0 });
        await using var server = await StartAsync(gate);
        using var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, server.Port, Guard.Token);

        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.Port, Guard.Token);
        await using var tls = new SslStream(client.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, Guard.Token);

        Assert.True(tls.IsAuthenticated);
        Assert.Equal(0, gate.Queued);
    }

    /// <summary>Connects without sending a ClientHello and waits until the server's handshake for it holds the slot.</summary>
    private static async Task<TcpClient> HoldTheSlotAsync(TlsHandshakeGate gate, int port)
    {
        var silent = new TcpClient();
        await silent.ConnectAsync(IPAddress.Loopback, port, Guard.Token);
        await Until(() => gate.Running == 1);
        return silent;
    }

    private static async Task Until(Func<bool> condition)
    {
        using var guard = new CancellationTokenSource(Guard.Limit);
        while (!condition()) await Task.Delay(20, guard.Token);
    }

    private static async Task<Server> StartAsync(TlsHandshakeGate gate)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddHours(1));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => gate.UseHttps(listen, new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            // The slot holder must keep its slot for the whole test.
            HandshakeTimeout = TimeSpan.FromMinutes(5),
        })));
        var app = builder.Build();
        await app.StartAsync(Guard.Token);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return new Server(app, address.Port, gate, certificate);
    }

    private sealed record Server(WebApplication App, int Port, TlsHandshakeGate Gate, X509Certificate2 Certificate) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
            Gate.Dispose();
            Certificate.Dispose();
        }
    }
}
