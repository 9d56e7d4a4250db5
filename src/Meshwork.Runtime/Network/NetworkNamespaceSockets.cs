using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meshwork.Runtime.Network;

/// <summary>
/// TCP sockets that live in another network namespace. A socket belongs to the namespace of the thread that created
/// it (network_namespaces(7)), so a short-lived thread joins the namespace (setns(2)), creates the socket and exits;
/// the socket is then used from any thread. Port-forward dials a pod's own localhost this way, and tests make apps
/// listen and clients dial inside pods with it. Needs CAP_SYS_ADMIN (root), as the pod network mode does.
/// </summary>
public static partial class NetworkNamespaceSockets
{
    private const int CloneNewNet = 0x40000000;

    /// <summary>The namespace this process runs in: a pod's must be another.</summary>
    public const string OwnNamespacePath = "/proc/self/ns/net";

    [LibraryImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static partial int SetNamespace(int fd, int nstype);

    /// <summary>A listening socket on <paramref name="endPoint"/> in the namespace at <paramref name="namespacePath"/>.</summary>
    public static Socket Listen(string namespacePath, IPEndPoint endPoint) => Create(namespacePath, socket =>
    {
        socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.Bind(endPoint);
        socket.Listen(128);
    });

    /// <summary>A connection to <paramref name="endPoint"/> from inside the namespace; the socket is disposed when it fails.</summary>
    public static Task<Socket> ConnectAsync(string namespacePath, IPEndPoint endPoint, CancellationToken cancellationToken) =>
        ConnectOrDisposeAsync(Create(namespacePath, _ => { }), endPoint, cancellationToken);

    /// <summary><paramref name="socket"/> connected to <paramref name="endPoint"/>, or disposed when the connection fails.</summary>
    internal static async Task<Socket> ConnectOrDisposeAsync(Socket socket, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The identity the kernel gives the namespace of a <c>/proc/PID/ns/net</c> link (<c>net:[INODE]</c>), or null when
    /// there is none (the process exited). Two such links name the same namespace exactly when their identities are equal.
    /// </summary>
    public static string? Identity(string namespaceLink)
    {
        try
        {
            return new FileInfo(namespaceLink).LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A TCP socket made in the namespace at <paramref name="namespacePath"/>, then <paramref name="prepare"/>d there.</summary>
    public static Socket Create(string namespacePath, Action<Socket> prepare)
    {
        ArgumentNullException.ThrowIfNull(prepare);
        Socket? created = null;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var handle = File.OpenHandle(namespacePath);
                // The thread ends right after: nothing else ever runs in the namespace it joined.
                if (SetNamespace((int)handle.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({namespacePath}) failed: errno {Marshal.GetLastPInvokeError()}");
                }
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try { prepare(socket); }
                catch { socket.Dispose(); throw; }
                created = socket;
            }
            catch (Exception e) { failure = e; }
        })
        { IsBackground = true, Name = "netns socket" };
        thread.Start();
        thread.Join();
        return created ?? throw new IOException($"cannot make a socket in network namespace {namespacePath}: {failure?.Message}", failure);
    }
}
