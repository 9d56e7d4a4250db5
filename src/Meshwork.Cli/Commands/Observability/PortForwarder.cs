using System.Net;
using System.Net.Sockets;
using Meshwork.Runtime.Pods;

namespace Meshwork.Cli.Commands.Observability;

/// <summary>
/// A TCP forwarder from a local loopback port to a pod's port, as <c>kubectl port-forward</c> gives:
/// each accepted connection is joined to a new connection to the pod's own localhost
/// (<see cref="PodLocalPort"/>) until either side closes.
/// </summary>
public sealed class PortForwarder(PodLocalPort target, TextWriter log)
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Binds 127.0.0.1:<paramref name="localPort"/> (0: any free port) and returns the listener, started.</summary>
    public static TcpListener Listen(int localPort)
    {
        var listener = new TcpListener(IPAddress.Loopback, localPort);
        listener.Start();
        return listener;
    }

    /// <summary>Accepts and forwards until <paramref name="cancellationToken"/> fires; then stops the listener.</summary>
    public async Task RunAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(listener);
        using var stop = cancellationToken.Register(listener.Stop);
        var connections = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket accepted;
                try
                {
                    accepted = await listener.AcceptSocketAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException && cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(ForwardAsync(accepted, cancellationToken));
            }
        }
        finally
        {
            listener.Stop();
            await Task.WhenAll(connections).ConfigureAwait(false);
        }
    }

    private async Task ForwardAsync(Socket client, CancellationToken cancellationToken)
    {
        using (client)
        {
            Socket? upstream = null;
            try
            {
                using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connect.CancelAfter(ConnectTimeout);
                    upstream = await target.ConnectAsync(connect.Token).ConfigureAwait(false);
                }
                await using var near = new NetworkStream(client, ownsSocket: false);
                await using var far = new NetworkStream(upstream, ownsSocket: false);
                await Task.WhenAll(CopyAsync(near, upstream, far, cancellationToken), CopyAsync(far, client, near, cancellationToken)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                if (!cancellationToken.IsCancellationRequested) await log.WriteLineAsync($"Handling connection for {target.Target.Port}: {e.Message}").ConfigureAwait(false);
            }
            finally
            {
                upstream?.Dispose();
            }
        }
    }

    /// <summary>Copies until end of stream, then half-closes the destination so the other side sees the end too.</summary>
    private static async Task CopyAsync(Stream from, Socket toSocket, Stream to, CancellationToken cancellationToken)
    {
        try
        {
            await from.CopyToAsync(to, 16 * 1024, cancellationToken).ConfigureAwait(false);
            toSocket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            // The other direction's end or the peer's reset ends this connection; nothing to report.
            try { toSocket.Shutdown(SocketShutdown.Both); } catch (Exception s) when (s is SocketException or ObjectDisposedException) { }
        }
    }
}
