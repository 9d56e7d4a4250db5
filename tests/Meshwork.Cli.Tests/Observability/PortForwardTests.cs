using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Cli.Commands.Observability;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Tests.Observability;

/// <summary>`meshwork port-forward`: the port spec, and bytes carried both ways over real loopback sockets.</summary>
public sealed class PortForwardTests
{
    [Theory]
    [InlineData("9090:9090", 9090, 9090)]
    [InlineData("8080", 8080, 8080)]
    [InlineData(":9090", 0, 9090)]
    [InlineData("0:80", 0, 80)]
    public void Accepts_kubectls_port_specs(string spec, int local, int remote)
    {
        Assert.True(PortForwardTarget.TryParsePorts(spec, out var l, out var r));
        Assert.Equal((local, remote), (l, r));
    }

    [Theory]
    [InlineData("")]
    [InlineData("9090:")]
    [InlineData("x:9090")]
    [InlineData("9090:0")]
    [InlineData("70000:80")]
    [InlineData("-1:80")]
    public void Refuses_other_port_specs(string spec) => Assert.False(PortForwardTarget.TryParsePorts(spec, out _, out _));

    [Fact]
    public async Task Bytes_go_both_ways_and_the_targets_close_reaches_the_client()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var upstream = new TcpListener(IPAddress.Loopback, 0);
        upstream.Start();
        var served = Task.Run(async () =>
        {
            using var socket = await upstream.AcceptSocketAsync(timeout.Token);
            await using var stream = new NetworkStream(socket);
            var buffer = new byte[5];
            await stream.ReadExactlyAsync(buffer, timeout.Token);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"echo {Encoding.ASCII.GetString(buffer)}"), timeout.Token);
        });

        var listener = PortForwarder.Listen(0);
        using var stop = new CancellationTokenSource();
        var forwarding = new PortForwarder(new PodLocalPort { Target = (IPEndPoint)upstream.LocalEndpoint }, TextWriter.Null).RunAsync(listener, stop.Token);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync((IPEndPoint)listener.LocalEndpoint, timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("hello"u8.ToArray(), timeout.Token);
            using var reader = new StreamReader(stream);
            Assert.Equal("echo hello", await reader.ReadToEndAsync(timeout.Token));
        }
        await served;
        await stop.CancelAsync();
        await forwarding.WaitAsync(timeout.Token);
        upstream.Stop();
    }
}
