using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Tests.Capture;

/// <summary>
/// Sockets that live in another network namespace: a socket belongs to the namespace of the thread that created it
/// (network_namespaces(7)), so a short-lived thread joins the namespace (setns(2)), creates the socket and exits; the
/// test then uses the socket from any thread. Lets in-process apps listen inside a pod, and the test dial from one.
/// </summary>
internal static class NetnsSockets
{
    private const int CloneNewNet = 0x40000000;

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    public static Socket Listen(string netns, IPEndPoint endPoint) => Create(netns, socket =>
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(endPoint);
        socket.Listen(128);
    });

    public static async Task<Socket> ConnectAsync(string netns, IPEndPoint endPoint)
    {
        var socket = Create(netns, _ => { });
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await socket.ConnectAsync(endPoint, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static Socket Create(string netns, Action<Socket> prepare)
    {
        Socket? created = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle($"/var/run/netns/{netns}");
                if (setns((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                    throw new IOException($"setns({netns}) failed: errno {Marshal.GetLastPInvokeError()}");
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try { prepare(socket); }
                catch { socket.Dispose(); throw; }
                created = socket;
            }
            catch (Exception e) { failure = e; }
        });
        thread.Start();
        thread.Join();
        return created ?? throw new IOException($"cannot make a socket in network namespace {netns}", failure);
    }
}
