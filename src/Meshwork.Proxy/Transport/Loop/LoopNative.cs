using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Transport.Loop;

/// <summary>The Linux calls the event loop makes (epoll(7), recv(2), send(2), getsockopt(2)) and the errno values it reads.</summary>
internal static unsafe partial class LoopNative
{
    public const int EpollCloexec = 0x80000;
    public const int EpollCtlAdd = 1;
    public const int EpollCtlDel = 2;

    public const uint EpollIn = 0x001;
    public const uint EpollOut = 0x004;
    public const uint EpollErr = 0x008;
    public const uint EpollHup = 0x010;
    public const uint EpollRdHup = 0x2000;
    public const uint EpollEt = 1u << 31;

    /// <summary>No SIGPIPE when the peer has gone: the send returns EPIPE instead.</summary>
    public const int MsgNoSignal = 0x4000;

    public const int EIntr = 4;
    public const int EAgain = 11;

    private const int SolSocket = 1;
    private const int SoError = 4;

    /// <summary>struct epoll_event: packed on x86-64 (12 bytes), which is why the loop runs only there.</summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [LibraryImport("libc", EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport("libc", EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, EpollEvent* ev);

    [LibraryImport("libc", EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, EpollEvent* events, int maxEvents, int timeout);

    // The SafeHandle parameters hold a reference on the descriptor for the call: a socket closed meanwhile
    // throws ObjectDisposedException instead of reading a descriptor number the kernel may have reused.
    [LibraryImport("libc", EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(SafeSocketHandle fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(SafeSocketHandle fd, byte* buffer, nuint length, int flags);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(SafeSocketHandle fd, int level, int name, int* value, int* length);

    /// <summary>The socket's pending error (SO_ERROR), which also clears it: 0 when none.</summary>
    public static int PendingError(SafeSocketHandle fd)
    {
        int value = 0, length = sizeof(int);
        return GetSockOpt(fd, SolSocket, SoError, &value, &length) == 0 ? value : Marshal.GetLastPInvokeError();
    }

    /// <summary>The exception .NET's own sockets throw for <paramref name="errno"/>, so callers' checks of <see cref="SocketException.SocketErrorCode"/> hold.</summary>
    public static SocketException Error(int errno) => new((int)(errno switch
    {
        104 => SocketError.ConnectionReset,       // ECONNRESET
        32 => SocketError.Shutdown,               // EPIPE
        103 => SocketError.ConnectionAborted,     // ECONNABORTED
        111 => SocketError.ConnectionRefused,     // ECONNREFUSED
        110 => SocketError.TimedOut,              // ETIMEDOUT
        107 => SocketError.NotConnected,          // ENOTCONN
        113 => SocketError.HostUnreachable,       // EHOSTUNREACH
        101 => SocketError.NetworkUnreachable,    // ENETUNREACH
        100 => SocketError.NetworkDown,           // ENETDOWN
        99 => SocketError.AddressNotAvailable,    // EADDRNOTAVAIL
        105 => SocketError.NoBufferSpaceAvailable, // ENOBUFS
        _ => SocketError.SocketError,
    }));
}
