using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Meshwork.Api;
using Meshwork.ControlPlane.ConfigApi.PortForward;

namespace Meshwork.ControlPlane.Tests.ConfigApi.Kubectl;

/// <summary>
/// <c>kubectl port-forward</c> with the real kubectl against a control plane whose pod is an echo
/// server on 127.0.0.1: bytes go both ways through the forwarded port, over the WebSocket tunnel
/// kubectl tries first and over plain SPDY when it is told not to, and a port nothing listens on
/// comes back as kubectl's "error forwarding port" on the error stream.
/// </summary>
public sealed class KubectlPortForwardTests : IAsyncLifetime
{
    private const string Pod = "echo-7d4b9c8f5-abcde";

    /// <summary>How long kubectl may take to print its "Forwarding from" line on a loaded box.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly TcpListener _echo = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private ControlPlaneFixture _cp = null!;
    private string _home = null!;
    private KubectlRunner _kubectl = null!;
    private Task _serving = Task.CompletedTask;

    private int EchoPort => ((IPEndPoint)_echo.LocalEndpoint).Port;

    public async Task InitializeAsync()
    {
        _echo.Start();
        _serving = EchoAsync(_stop.Token);
        _home = Directory.CreateTempSubdirectory("meshwork-kubectl-pf-").FullName;
        var state = new StateDirectory(Path.Combine(_home, "state"));
        _cp = await ControlPlaneFixture.StartAsync(ControlPlaneFixture.Options(state) with { PodPorts = new LoopbackPods() });
        _kubectl = new KubectlRunner(_cp.State.KubeconfigFile, _home);
        var pod = Path.Combine(_home, "pod.yaml");
        await File.WriteAllTextAsync(pod, $"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: {Pod}
              namespace: default
              labels:
                app: echo
            spec:
              containers:
              - name: echo
                image: echo:1
                ports:
                - containerPort: {EchoPort}
            status:
              phase: Running
            """);
        await _kubectl.SucceedAsync("apply", "-f", pod);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        _echo.Stop();
        await _serving;
        await _cp.DisposeAsync();
        _stop.Dispose();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Theory]
    [InlineData("websocket")]
    [InlineData("spdy")]
    public async Task Bytes_go_both_ways_through_the_forwarded_port(string transport)
    {
        // At -v=4 kubectl logs its WebSocket negotiation.
        using var forward = StartForward(transport, $":{EchoPort}", "--v=4");
        var log = forward.StandardError.ReadToEndAsync();
        try
        {
            var local = await ForwardingPortAsync(forward, log);

            // Two connections, one after the other, the second larger than a relayed chunk.
            Assert.Equal("hello through the mesh", await RoundTripAsync(local, "hello through the mesh"));
            var large = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n"));
            Assert.Equal(large, await RoundTripAsync(local, large));
            Assert.False(forward.HasExited, "kubectl port-forward ended after its connections closed");
        }
        catch (Exception e) when (e is IOException or SocketException)
        {
            Stop(forward);
            Assert.Fail($"{e}\nkubectl printed:\n{await log}");
        }
        finally
        {
            Stop(forward);
        }
        // The tunnel's log line once the WebSocket is up ("negotiated protocol" before kubectl 1.33); a failed upgrade
        // falls back to SPDY silently, so only this line tells the WebSocket path worked.
        var printed = await log;
        var negotiated = printed.Contains("Negotiation complete", StringComparison.Ordinal) || printed.Contains("negotiated protocol", StringComparison.Ordinal);
        Assert.True(negotiated == (transport == "websocket"), printed);
    }

    [Fact]
    public async Task A_port_nothing_listens_on_is_reported_on_the_error_stream_as_the_kubelet_words_it()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        var port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        using var forward = StartForward("websocket", $":{port}");
        var stderr = forward.StandardError.ReadToEndAsync();
        try
        {
            var local = await ForwardingPortAsync(forward, stderr);

            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, local);
                using var bound = new CancellationTokenSource(Patience);
                // kubectl closes the connection once the error stream has spoken.
                var buffer = new byte[16];
                try { while (await client.GetStream().ReadAsync(buffer, bound.Token) > 0) { } } catch (IOException) { }
            }

            // kubectl drops the whole forwarding after such an error and exits.
            using (var exit = new CancellationTokenSource(Patience)) await forward.WaitForExitAsync(exit.Token);
            var printed = await stderr;
            Assert.True(printed.Contains($"error forwarding port {port} to pod {Pod}", StringComparison.Ordinal), printed);
        }
        finally
        {
            Stop(forward);
        }
    }

    [Fact]
    public async Task A_pod_that_does_not_exist_is_reported_as_kubernetes_does()
    {
        var result = await _kubectl.RunAsync("port-forward", "pod/nope", "8080:80");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("Error from server (NotFound): pods \"nope\" not found", result.Stderr.Trim());
    }

    /// <summary>kubectl's switch for the WebSocket tunnel (on by default since 1.31): off, it speaks SPDY over an HTTP upgrade as before.</summary>
    private Process StartForward(string transport, string ports, params string[] flags) => _kubectl.Start(
        new Dictionary<string, string> { ["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = transport == "spdy" ? "false" : "true" },
        ["port-forward", "--address", "127.0.0.1", $"pod/{Pod}", ports, .. flags]);

    private static void Stop(Process forward)
    {
        try { forward.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    /// <summary>The local port of kubectl's "Forwarding from 127.0.0.1:PORT -> REMOTE" line.</summary>
    private static async Task<int> ForwardingPortAsync(Process forward, Task<string> stderr)
    {
        using var bound = new CancellationTokenSource(Patience);
        while (await forward.StandardOutput.ReadLineAsync(bound.Token) is { } line)
        {
            const string prefix = "Forwarding from 127.0.0.1:";
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return int.Parse(line[prefix.Length..line.IndexOf(' ', prefix.Length)], System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Fail($"kubectl port-forward ended without forwarding: {await stderr}");
        return 0;
    }

    /// <summary>Sends <paramref name="text"/> through the forwarded port, ends the sending half, and reads the echo to its end.</summary>
    private static async Task<string> RoundTripAsync(int port, string text)
    {
        using var bound = new CancellationTokenSource(Patience);
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port, bound.Token);
        var stream = client.GetStream();
        var reading = ReadToEndAsync(stream, bound.Token);
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), bound.Token);
        client.Client.Shutdown(SocketShutdown.Send);
        return await reading;
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, cancellationToken);
        return Encoding.UTF8.GetString(received.ToArray());
    }

    /// <summary>The pod: echoes each connection's bytes back and closes once the client has ended its half.</summary>
    private async Task EchoAsync(CancellationToken stop)
    {
        var connections = new List<Task>();
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var socket = await _echo.AcceptSocketAsync(stop);
                connections.Add(Task.Run(async () =>
                {
                    using (socket)
                    {
                        await using var stream = new NetworkStream(socket, ownsSocket: false);
                        try { await stream.CopyToAsync(stream, stop); } catch (Exception e) when (e is IOException or OperationCanceledException) { }
                    }
                }, stop));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
        await Task.WhenAll(connections.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    /// <summary>Every pod's localhost is this host's 127.0.0.1 here.</summary>
    private sealed class LoopbackPods : IPodPorts
    {
        public string? Refusal(string @namespace, string pod) => null;

        public PodPortDialer? Find(string @namespace, string pod, int port, out string? refusal)
        {
            refusal = null;
            var target = new IPEndPoint(IPAddress.Loopback, port);
            return new PodPortDialer(target.ToString(), async cancellationToken =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    await socket.ConnectAsync(target, cancellationToken);
                    return socket;
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            });
        }
    }
}
