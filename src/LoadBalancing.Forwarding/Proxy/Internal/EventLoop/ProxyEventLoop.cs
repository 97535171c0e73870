using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using LoadBalancing.Forwarding.Linux;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Forwarding.Proxy.Internal.EventLoop;

/// <summary>
/// One event-loop thread: an epoll instance, the handlers of the descriptors registered in it, and a queue of work
/// posted from other threads (woken through an eventfd). Every handler runs on this thread, so a connection's state
/// needs no locks and its reads and writes cost one system call each, without thread-pool hops.
/// </summary>
/// <remarks>
/// An epoll event carries a slot token, not a descriptor: the low 32 bits index the slot table, the high 32 bits
/// are the slot's generation, so an event still queued for a slot that was freed (and perhaps reused) in the same
/// batch is recognised and dropped.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe partial class ProxyEventLoop : IDisposable
{
    private const int BatchSize = 256;
    private const int WakeSlot = -1;

    [ThreadStatic]
    private static ProxyEventLoop? t_current;

    private readonly ILogger _logger;
    private readonly Thread _thread;
    private readonly Lock _postGate = new();
    private readonly byte* _events;
    private Queue<(Action<object?> Action, object? State)> _posted = new();
    private Queue<(Action<object?> Action, object? State)> _running = new();
    private Slot[] _slots = new Slot[64];
    private int _freeHead = -1;
    private int _slotCount;
    private int _epoll;
    private int _wake;
    private bool _stopping;
    private bool _stopped;

    private int _connections;

    public ProxyEventLoop(int index, ILogger logger)
    {
        Index = index;
        _logger = logger;
        _epoll = LibC.EpollCreate1(LibC.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new InvalidOperationException($"epoll_create1 failed: errno {Marshal.GetLastPInvokeError()}");
        }

        _wake = LibC.EventFd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC);
        if (_wake < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = LibC.Close(_epoll);
            throw new InvalidOperationException($"eventfd failed: errno {errno}");
        }

        if (Control(LibC.EPOLL_CTL_ADD, _wake, LibC.EPOLLIN, unchecked((ulong)(long)WakeSlot)) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = LibC.Close(_wake);
            _ = LibC.Close(_epoll);
            throw new InvalidOperationException($"epoll_ctl(eventfd) failed: errno {errno}");
        }

        _events = (byte*)NativeMemory.Alloc((nuint)(BatchSize * LibC.EpollEventSize));
        _thread = new Thread(Run) { IsBackground = true, Name = $"lb-proxy-loop-{index}" };
        _thread.Start();
    }

    /// <summary>Gets the loop whose thread is calling, or <see langword="null"/> on any other thread.</summary>
    public static ProxyEventLoop? Current => t_current;

    /// <summary>Gets the loop's number within its group.</summary>
    public int Index { get; }

    /// <summary>Gets the TCP connections this loop relays (counted from the accept that gives it one until the connection ends).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Gets a value indicating whether the caller runs on this loop's thread.</summary>
    public bool IsCurrent => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>
    /// Runs <paramref name="action"/> on the loop's thread, after the current batch of events. Returns
    /// <see langword="false"/> when the loop has stopped (the action does not run).
    /// </summary>
    public bool Post(Action<object?> action, object? state)
    {
        lock (_postGate)
        {
            if (_stopped)
            {
                return false;
            }

            _posted.Enqueue((action, state));

            // Inside the gate: the loop closes the eventfd only after it has refused further posts under it.
            ulong one = 1;
            _ = LibC.Write(_wake, &one, sizeof(ulong));
        }

        return true;
    }

    /// <summary>Counts a TCP connection given to this loop (<paramref name="delta"/> 1) or ended on it (-1); any thread.</summary>
    public void CountConnection(int delta) => Interlocked.Add(ref _connections, delta);

    /// <summary>Registers <paramref name="fd"/> (loop thread only) and returns its slot, or -1 with the errno.</summary>
    public int Register(int fd, uint events, IEventLoopHandler handler, int tag, out int errno)
    {
        var slot = AllocateSlot(handler, tag);
        var token = ((ulong)_slots[slot].Generation << 32) | (uint)slot;
        if (Control(LibC.EPOLL_CTL_ADD, fd, events, token) != 0)
        {
            errno = Marshal.GetLastPInvokeError();
            FreeSlot(slot);
            return -1;
        }

        errno = 0;
        return slot;
    }

    /// <summary>Removes <paramref name="fd"/> from the epoll set and frees its slot (loop thread only).</summary>
    public void Unregister(int fd, int slot)
    {
        _ = Control(LibC.EPOLL_CTL_DEL, fd, 0, 0);
        FreeSlot(slot);
    }

    /// <summary>
    /// Frees the slot of a descriptor about to be closed (closing removes it from the epoll set, as nothing else
    /// holds the file); saves the <c>epoll_ctl</c> call.
    /// </summary>
    public void Forget(int slot) => FreeSlot(slot);

    /// <summary>Stops the thread after the work already posted, then closes the epoll instance.</summary>
    public void Dispose()
    {
        lock (_postGate)
        {
            if (_stopping)
            {
                return;
            }

            Volatile.Write(ref _stopping, true);
            if (!_stopped)
            {
                ulong one = 1;
                _ = LibC.Write(_wake, &one, sizeof(ulong));
            }
        }

        if (!IsCurrent)
        {
            _thread.Join();
        }
    }

    private int Control(int op, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + LibC.EpollDataOffset) = data;
        return LibC.EpollCtl(_epoll, op, fd, ev);
    }

    private int AllocateSlot(IEventLoopHandler handler, int tag)
    {
        int index;
        if (_freeHead >= 0)
        {
            index = _freeHead;
            _freeHead = _slots[index].NextFree;
        }
        else
        {
            if (_slotCount == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
            }

            index = _slotCount++;
        }

        ref var slot = ref _slots[index];
        slot.Handler = handler;
        slot.Tag = tag;
        slot.NextFree = -1;
        return index;
    }

    private void FreeSlot(int index)
    {
        ref var slot = ref _slots[index];
        if (slot.Handler is null)
        {
            return;
        }

        slot.Handler = null;
        slot.Generation++;
        slot.NextFree = _freeHead;
        _freeHead = index;
    }

    private void Run()
    {
        t_current = this;
        try
        {
            while (!Volatile.Read(ref _stopping))
            {
                var count = LibC.EpollWait(_epoll, _events, BatchSize, -1);
                if (count < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno == LibC.EINTR)
                    {
                        continue;
                    }

                    Log.WaitFailed(_logger, Index, errno);
                    break;
                }

                for (var i = 0; i < count; i++)
                {
                    var ev = _events + (i * LibC.EpollEventSize);
                    Dispatch(*(uint*)ev, *(ulong*)(ev + LibC.EpollDataOffset));
                }

                RunPosted();
            }
        }
        finally
        {
            Stop();
        }
    }

    private void Dispatch(uint events, ulong token)
    {
        var index = (int)(uint)token;
        if (index == WakeSlot)
        {
            ulong value;
            _ = LibC.Read(_wake, &value, sizeof(ulong));
            return;
        }

        ref var slot = ref _slots[index];
        if (slot.Handler is not { } handler || slot.Generation != (uint)(token >> 32))
        {
            return; // freed earlier in this batch
        }

        try
        {
            handler.OnEvents(events, slot.Tag);
        }
#pragma warning disable CA1031 // One handler's bug must not end the loop of every other connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_logger, Index, ex);
        }
    }

    private void RunPosted()
    {
        while (true)
        {
            lock (_postGate)
            {
                if (_posted.Count == 0)
                {
                    return;
                }

                (_posted, _running) = (_running, _posted);
            }

            while (_running.TryDequeue(out var item))
            {
                try
                {
                    item.Action(item.State);
                }
#pragma warning disable CA1031 // As in Dispatch.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.HandlerFailed(_logger, Index, ex);
                }
            }
        }
    }

    private void Stop()
    {
        // Work posted before the stop still runs (listener removals close their sockets); later posts are refused.
        RunPosted();
        lock (_postGate)
        {
            _stopped = true;
        }

        RunPosted();
        for (var i = 0; i < _slotCount; i++)
        {
            if (_slots[i].Handler is { } handler)
            {
                var tag = _slots[i].Tag;
                FreeSlot(i);
                try
                {
                    handler.OnLoopStopped(tag);
                }
#pragma warning disable CA1031 // Best effort while stopping.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    Log.HandlerFailed(_logger, Index, ex);
                }
            }
        }

        _ = LibC.Close(_wake);
        _ = LibC.Close(_epoll);
        _wake = -1;
        _epoll = -1;
        NativeMemory.Free(_events);
    }

    private struct Slot
    {
        public IEventLoopHandler? Handler;
        public int Tag;
        public uint Generation;
        public int NextFree;
    }

    private static partial class Log
    {
        [LoggerMessage(1040, LogLevel.Critical, "Proxy event loop {Loop}: epoll_wait failed with errno {Errno}; the loop stops")]
        public static partial void WaitFailed(ILogger logger, int loop, int errno);

        [LoggerMessage(1041, LogLevel.Error, "Proxy event loop {Loop}: a handler threw")]
        public static partial void HandlerFailed(ILogger logger, int loop, Exception exception);
    }
}
