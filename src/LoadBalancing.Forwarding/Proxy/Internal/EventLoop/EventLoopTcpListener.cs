using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.Proxy.Internal.EventLoop;

/// <summary>
/// The TCP listener of one virtual service under the event-loop engine: one non-blocking listening socket,
/// registered in every loop with <c>EPOLLEXCLUSIVE</c> so a new connection wakes one loop (not all of them), which
/// accepts it with <c>accept4</c> and owns it from then on.
/// </summary>
/// <remarks>
/// <para>
/// By default one shared socket rather than one <c>SO_REUSEPORT</c> socket per loop: binding keeps the Sockets
/// engine's semantics (a port already in use is an error, not a silent second listener), and no connection waits in
/// the backlog of a busy loop while another is idle. <see cref="ProxyForwarderOptions.ListenSocketPerLoop"/> selects
/// the other arrangement, where the kernel spreads connections evenly over the loops by hash.
/// </para>
/// <para>
/// <see cref="ProxyForwarderOptions.MaxConnectionsPerService"/>: a loop that finds no free slot takes the socket out
/// of its epoll set, so clients wait in the kernel's backlog; the connection that frees a slot puts it back.
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe class EventLoopTcpListener : IProxyListener, IEventLoopHandler
{
    /// <summary>Accepts per wake-up, so one loop does not take a burst that the others could share.</summary>
    private const int AcceptBatch = 16;

    private const int EINVAL = 22;

    /// <summary>How many fewer connections another loop must relay for an accepted one to go there (<see cref="LeastLoaded"/>).</summary>
    private const int HandoffMargin = 3;

    /// <summary>After an accept error other than a close (e.g. out of file descriptors), pause before accepting again instead of spinning.</summary>
    private static readonly TimeSpan AcceptErrorBackoff = TimeSpan.FromMilliseconds(50);

    private readonly ProxyForwarder _owner;
    private readonly IReadOnlyList<ProxyEventLoop> _loops;
    private readonly int[] _slots;
    private readonly int _max;
    private readonly int[] _fds; // the listening socket of each loop: one shared, or one each (SO_REUSEPORT)
    private readonly bool _perLoop;
    private bool _started;
    private int _active;
    private int _paused; // loops whose registration is removed because the service is at its limit (bit mask of up to 32 loops; more share bit 31)
    private int _registeredLoops; // loops that may still use the shared socket; the last one to let go closes it
    private volatile bool _disposed;

    public EventLoopTcpListener(ProxyForwarder owner, VirtualServiceKey key, IReadOnlyList<ProxyEventLoop> loops)
    {
        _owner = owner;
        Key = key;
        _loops = loops;
        _slots = new int[loops.Count];
        Array.Fill(_slots, -1);
        _max = owner.Options.MaxConnectionsPerService;
        _perLoop = owner.Options.ListenSocketPerLoop;
        _fds = new int[loops.Count];
        Array.Fill(_fds, -1);
    }

    public VirtualServiceKey Key { get; }

    public SocketError Start()
    {
        if (_perLoop)
        {
            for (var i = 0; i < _fds.Length; i++)
            {
                var error = OpenBound(reusePort: true, out _fds[i]);
                if (error != SocketError.Success)
                {
                    for (var j = 0; j < i; j++)
                    {
                        _ = LibC.Close(_fds[j]);
                        _fds[j] = -1;
                    }

                    return error;
                }
            }
        }
        else
        {
            var error = OpenBound(reusePort: false, out var fd);
            if (error != SocketError.Success)
            {
                return error;
            }

            Array.Fill(_fds, fd);
        }

        _started = true;
        _registeredLoops = _loops.Count;
        foreach (var loop in _loops)
        {
            if (!loop.Post(static s => ((EventLoopTcpListener)s!).Join(ProxyEventLoop.Current!), this))
            {
                ReleaseLoop(loop.Index);
            }
        }

        return SocketError.Success;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_started)
        {
            return;
        }

        // Stop listening now (the Sockets engine closes its socket here): new clients are refused and those in the
        // backlog reset. The descriptor itself is closed by the last loop to drop it, so no loop can accept on a
        // number the kernel has already given to another socket.
        foreach (var fd in _perLoop ? _fds : [_fds[0]])
        {
            _ = LibC.Shutdown(fd, LibC.SHUT_RDWR);
        }

        foreach (var loop in _loops)
        {
            if (!loop.Post(static s => ((EventLoopTcpListener)s!).Leave(), this))
            {
                ReleaseLoop(loop.Index);
            }
        }
    }

    /// <summary>A connection of this service ended: free its slot, and put the socket back in loops paused at the limit.</summary>
    public void ReleaseSlot()
    {
        if (_max == 0)
        {
            return;
        }

        Interlocked.Decrement(ref _active);
        if (Volatile.Read(ref _paused) != 0)
        {
            ResumeAll();
        }
    }

    public void OnEvents(uint events, int tag)
    {
        var loop = _loops[tag];
        var address = stackalloc byte[NativeTcp.SockAddrCapacity];
        for (var i = 0; i < AcceptBatch && !_disposed; i++)
        {
            if (!TryTakeSlot())
            {
                _owner.Statistics.CountLimitWait();
                Pause(loop);
                return;
            }

            var length = NativeTcp.SockAddrCapacity;
            var fd = LibC.Accept4(_fds[tag], address, &length, LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC);
            if (fd < 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                ReturnSlot();
                if (errno == LibC.EAGAIN)
                {
                    return;
                }

                if (errno is LibC.EINTR or LibC.ECONNABORTED)
                {
                    continue;
                }

                if (_disposed)
                {
                    return;
                }

                _owner.Statistics.CountAcceptError();
                ProxyLog.AcceptFailed(_owner.Logger, Key, NativeTcp.ToSocketError(errno));
                Backoff(loop);
                return;
            }

            if (!_owner.Services.TryGetService(Key, out var service))
            {
                // Removed between the change and this accept: refuse as a closed port would.
                NativeTcp.ResetAndClose(fd);
                ReturnSlot();
                continue;
            }

            var (client, clientPort) = NativeTcp.ReadSockAddr(address);
            var key = new ProxyFlowKey(ServiceProtocol.Tcp, client, clientPort, service.Key.Address, service.Key.Port);
            _owner.Statistics.CountTcpConnection();
            var target = LeastLoaded(loop);
            target.CountConnection(1); // before the next accept of this batch looks
            if (target != loop && !target.Post(static s => ((Handoff)s!).Start(), new Handoff(this, target, service, fd, key)))
            {
                target.CountConnection(-1); // stopped: the connection stays here
                target = loop;
                target.CountConnection(1);
            }

            if (target == loop)
            {
                new EventLoopTcpConnection(_owner, loop, this, service, fd, key).Start();
            }
        }
    }

    /// <summary>
    /// The loop a connection accepted on <paramref name="loop"/> goes to: another one that relays at least
    /// <see cref="HandoffMargin"/> fewer connections, or <paramref name="loop"/>. <c>EPOLLEXCLUSIVE</c> wakes whichever
    /// loop waits, and one wake-up accepts a batch: 64 keep-alive clients came to be relayed 62/38 by two loops
    /// (docs/benchmarks.md, "Stop 21"), where HAProxy gives each accepted connection to its least loaded thread. The
    /// margin keeps short connections, whose counts move all the time, on the loop that accepted them.
    /// </summary>
    private ProxyEventLoop LeastLoaded(ProxyEventLoop loop)
    {
        var mine = loop.Connections;
        var best = loop;
        var fewest = mine;
        foreach (var other in _loops)
        {
            var count = other.Connections;
            if (count < fewest)
            {
                best = other;
                fewest = count;
            }
        }

        return fewest <= mine - HandoffMargin ? best : loop;
    }

    /// <summary>An accepted connection handed to another loop, which starts it on its own thread.</summary>
    private sealed class Handoff(EventLoopTcpListener listener, ProxyEventLoop loop, VirtualServiceState service, int fd, ProxyFlowKey key)
    {
        public void Start() => new EventLoopTcpConnection(listener._owner, loop, listener, service, fd, key).Start();
    }

    /// <summary>Loops stop after every listener left them (the forwarder disposes listeners first); nothing to count.</summary>
    public void OnLoopStopped(int tag) => _slots[tag] = -1;

    private bool TryTakeSlot()
    {
        if (_max == 0)
        {
            return true;
        }

        if (Interlocked.Increment(ref _active) <= _max)
        {
            return true;
        }

        Interlocked.Decrement(ref _active);
        return false;
    }

    private void ReturnSlot()
    {
        if (_max != 0)
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private static int Bit(ProxyEventLoop loop) => 1 << Math.Min(loop.Index, 31);

    private void Join(ProxyEventLoop loop)
    {
        if (_disposed || _slots[loop.Index] >= 0)
        {
            return;
        }

        var fd = _fds[loop.Index];
        var slot = loop.Register(fd, _perLoop ? LibC.EPOLLIN : LibC.EPOLLIN | LibC.EPOLLEXCLUSIVE, this, loop.Index, out var errno);
        if (slot < 0 && errno == EINVAL && !_perLoop)
        {
            // A kernel before 4.5 has no EPOLLEXCLUSIVE: every loop wakes per connection, and all but one find EAGAIN.
            slot = loop.Register(fd, LibC.EPOLLIN, this, loop.Index, out errno);
        }

        if (slot < 0)
        {
            _owner.Statistics.CountAcceptError();
            ProxyLog.AcceptFailed(_owner.Logger, Key, NativeTcp.ToSocketError(errno));
            return;
        }

        _slots[loop.Index] = slot;
    }

    /// <summary>
    /// At the limit: leave this loop's epoll set (level-triggered, the pending connection would wake it again at
    /// once). The check after the flag closes the race with a release that read the flag before it was set.
    /// </summary>
    private void Pause(ProxyEventLoop loop)
    {
        var bit = Bit(loop);
        Interlocked.Or(ref _paused, bit);
        Drop(loop);
        if (Volatile.Read(ref _active) < _max)
        {
            Interlocked.And(ref _paused, ~bit);
            Join(loop);
        }
    }

    private void ResumeAll()
    {
        _ = Interlocked.Exchange(ref _paused, 0);
        foreach (var loop in _loops)
        {
            _ = loop.Post(static s => ((EventLoopTcpListener)s!).RejoinCurrent(), this);
        }
    }

    private void RejoinCurrent() => Join(ProxyEventLoop.Current!);

    private void Backoff(ProxyEventLoop loop)
    {
        Drop(loop);
        _ = Task.Delay(AcceptErrorBackoff, _owner.TimeProvider).ContinueWith(
            static (_task, s) =>
            {
                var (listener, loop) = ((EventLoopTcpListener, ProxyEventLoop))s!;
                _ = loop.Post(static x => ((EventLoopTcpListener)x!).RejoinCurrent(), listener);
            },
            (this, loop),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Drop(ProxyEventLoop loop)
    {
        var slot = _slots[loop.Index];
        if (slot >= 0)
        {
            loop.Unregister(_fds[loop.Index], slot);
            _slots[loop.Index] = -1;
        }
    }

    private void Leave()
    {
        var loop = ProxyEventLoop.Current!;
        Drop(loop);
        ReleaseLoop(loop.Index);
    }

    /// <summary>Loop <paramref name="index"/> no longer uses its socket: close it (per-loop sockets), or count down to the shared socket's close.</summary>
    private void ReleaseLoop(int index)
    {
        if (_perLoop)
        {
            _ = LibC.Close(_fds[index]);
        }
        else if (Interlocked.Decrement(ref _registeredLoops) == 0)
        {
            _ = LibC.Close(_fds[0]);
        }
    }

    private SocketError OpenBound(bool reusePort, out int fd)
    {
        fd = NativeTcp.Open(Key.Address);
        if (fd < 0)
        {
            return NativeTcp.ToSocketError(Marshal.GetLastPInvokeError());
        }

        var address = stackalloc byte[NativeTcp.SockAddrCapacity];
        var length = NativeTcp.WriteSockAddr(Key.Address, Key.Port, address);
        _ = NativeTcp.SetOption(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1);
        _ = NativeTcp.SetOption(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, 1); // accepted sockets inherit it
        if (reusePort)
        {
            _ = NativeTcp.SetOption(fd, LibC.SOL_SOCKET, LibC.SO_REUSEPORT, 1);
        }

        if (Key.Address.IsIPv6)
        {
            _ = NativeTcp.SetOption(fd, LibC.IPPROTO_IPV6, LibC.IPV6_V6ONLY, 1);
        }

        if (LibC.Bind(fd, address, length) != 0 || LibC.Listen(fd, _owner.Options.ListenBacklog) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            _ = LibC.Close(fd);
            fd = -1;
            return NativeTcp.ToSocketError(errno);
        }

        // Accepted sockets start in delayed-ACK mode (inherited, as with HAProxy's tcp-smart-accept): the client's
        // first data is acknowledged by the server's first reply bytes instead of a packet of its own. The kernel
        // leaves that mode by itself when the delayed-ACK timer fires, and acknowledges at once after two full
        // segments. After listen(), which resets the listener's ACK state.
        _ = NativeTcp.SetOption(fd, LibC.IPPROTO_TCP, LibC.TCP_QUICKACK, 0);

        return SocketError.Success;
    }
}
