using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Meshwork.Proxy.Transport.Loop;

/// <summary>
/// The proxy's event loop: one epoll instance and one thread per process, which wakes the sockets registered
/// with it. Each socket is registered once, edge-triggered for both directions, and never touched again until it
/// is deregistered; what a wake-up resumes runs inline on the loop thread, so it must never block.
/// </summary>
/// <remarks>
/// An event's data names a registration slot and the slot's generation: an event queued for a socket that was
/// deregistered (its descriptor perhaps closed and reused by a new socket in the same slot) is ignored.
/// </remarks>
internal sealed unsafe class EventLoop
{
    // Bounds: events taken per epoll_wait, and registrations (far above the descriptors a sidecar may open).
    private const int MaxEvents = 256;
    private const int MaxSlots = 1 << 20;

    private static readonly Lazy<EventLoop> SharedLoop = new(() => new EventLoop());

    private readonly int _epoll;
    private readonly Thread _thread;
    private readonly Lock _slotsLock = new();
    private LoopSocket?[] _slots = new LoopSocket?[256];
    private uint[] _generations = new uint[256];
    private readonly Stack<int> _free = new();
    private int _used;

    /// <summary>
    /// Linux on x86-64 only, where epoll_event is packed as <see cref="LoopNative.EpollEvent"/> says; elsewhere the
    /// proxy keeps .NET's sockets.
    /// </summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    /// <summary>The process's one loop, started on first use.</summary>
    public static EventLoop Shared => SharedLoop.Value;

    /// <summary>True on the loop's own thread, where nothing may block.</summary>
    public bool IsLoopThread => Thread.CurrentThread == _thread;

    private EventLoop()
    {
        if (!IsSupported) throw new PlatformNotSupportedException("the proxy's event loop needs epoll on x86-64 Linux");
        _epoll = LoopNative.EpollCreate(LoopNative.EpollCloexec);
        if (_epoll < 0) throw LoopNative.Error(Marshal.GetLastPInvokeError());
        _thread = new Thread(Run) { IsBackground = true, Name = "meshwork-loop" };
        // Without the starter's execution context: what resumes on the loop thread brings its own, or none.
        _thread.UnsafeStart();
    }

    /// <summary>Registers <paramref name="socket"/>'s descriptor for both directions, edge-triggered; returns the token its events carry.</summary>
    public ulong Register(LoopSocket socket, SafeSocketHandle handle)
    {
        int index;
        uint generation;
        lock (_slotsLock)
        {
            if (!_free.TryPop(out index))
            {
                if (_used == _slots.Length) Grow();
                index = _used++;
            }
            generation = _generations[index];
            _slots[index] = socket;
        }
        var token = (ulong)generation << 32 | (uint)index;
        // Set before the registration: its first event may come at once, on the loop thread.
        socket.Token = token;
        var ev = new LoopNative.EpollEvent
        {
            Events = LoopNative.EpollIn | LoopNative.EpollOut | LoopNative.EpollRdHup | LoopNative.EpollEt,
            Data = token,
        };
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            if (LoopNative.EpollCtl(_epoll, LoopNative.EpollCtlAdd, (int)handle.DangerousGetHandle(), &ev) != 0)
                throw LoopNative.Error(Marshal.GetLastPInvokeError());
        }
        catch
        {
            Free(index);
            throw;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
        return token;
    }

    /// <summary>
    /// Removes the registration before its descriptor is closed. A descriptor already closed (a reset disposes the
    /// socket) left the epoll set with its close; its number is not touched, since another socket may hold it now.
    /// </summary>
    public void Deregister(ulong token, SafeSocketHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var ev = default(LoopNative.EpollEvent);
            LoopNative.EpollCtl(_epoll, LoopNative.EpollCtlDel, (int)handle.DangerousGetHandle(), &ev);
        }
        catch (ObjectDisposedException) { }
        finally
        {
            if (added) handle.DangerousRelease();
            Free((int)(uint)token);
        }
    }

    private void Free(int index)
    {
        lock (_slotsLock)
        {
            _slots[index] = null;
            _generations[index]++;
            _free.Push(index);
        }
    }

    private void Grow()
    {
        if (_slots.Length >= MaxSlots) throw new SocketException((int)SocketError.TooManyOpenSockets);
        var slots = new LoopSocket?[_slots.Length * 2];
        var generations = new uint[_slots.Length * 2];
        _slots.CopyTo(slots, 0);
        _generations.CopyTo(generations, 0);
        _generations = generations;
        Volatile.Write(ref _slots, slots);
    }

    private void Run()
    {
        // No execution context flows from this thread: what an await here captures is then nothing, and each wake-up
        // resumes a state machine directly instead of through ExecutionContext.RunInternal (nothing on the data path
        // reads an async-local). The thread itself starts without its starter's context (UnsafeStart).
        ExecutionContext.SuppressFlow();
        var events = (LoopNative.EpollEvent*)NativeMemory.Alloc(MaxEvents, (nuint)sizeof(LoopNative.EpollEvent));
        while (true)
        {
            var count = LoopNative.EpollWait(_epoll, events, MaxEvents, -1);
            if (count < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno == LoopNative.EIntr) continue;
                // Every connection of the process waits on this loop: without it none would make progress.
                Environment.FailFast($"epoll_wait failed: errno {errno}");
            }
            var slots = Volatile.Read(ref _slots);
            for (var i = 0; i < count; i++)
            {
                var data = events[i].Data;
                var index = (int)(uint)data;
                if (index >= slots.Length) slots = Volatile.Read(ref _slots);
                var socket = slots[index];
                if (socket is null || socket.Token != data) continue;
                try { socket.OnEvents(events[i].Events); }
                // What a wake-up resumed is an async method that keeps its own exceptions; anything else must not
                // stop every other connection's loop.
                catch (Exception) { }
            }
        }
    }
}
