using System.Buffers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.Linux;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.Proxy.Internal.EventLoop;

/// <summary>
/// One proxied TCP connection under the event-loop engine, owned by the loop that accepted it: schedules through the
/// connection table (<see cref="TcpTableFeed"/>, as the Sockets engine), connects without blocking (retrying other
/// servers), sends the PROXY header, relays both directions and keeps the table entry in step. Every method except
/// <see cref="Abort"/> and <see cref="CheckTimeouts"/> runs on the owning loop's thread.
/// </summary>
/// <remarks>
/// <para>
/// Both descriptors are registered once, edge-triggered, for input, output and peer shutdown; the connection
/// remembers which side is readable and writable until a call says otherwise (<c>EAGAIN</c>, or a short read or
/// write), so it never needs <c>epoll_ctl</c> again.
/// </para>
/// <para>
/// Packets and system calls per connection are kept to what the relay needs (conn/s on a busy host is mostly
/// kernel work): the client's first bytes are read at accept (they are usually queued by then), so the backend
/// socket can delay its handshake ACK until that data carries it (<c>TCP_QUICKACK</c> 0, HAProxy's
/// <c>tcp-smart-connect</c>: only when there is data to send at once, so a server-speaks-first protocol never waits);
/// a clean <c>EPOLLOUT</c> ends a connect without <c>getsockopt(SO_ERROR)</c>; a FIN already known when data is
/// passed on rides with it (see <see cref="Pump"/>).
/// </para>
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed unsafe partial class EventLoopTcpConnection : ITimedFlow, IEventLoopHandler
{
    private const int TagClient = 0;
    private const int TagBackend = 1;
    private const int PhaseConnecting = 0;
    private const int PhaseRelaying = 1;
    private const int PhaseClosed = 2;
    private const uint Registration = LibC.EPOLLIN | LibC.EPOLLOUT | LibC.EPOLLRDHUP | LibC.EPOLLET;

    private readonly ProxyForwarder _owner;
    private readonly ProxyEventLoop _loop;
    private readonly EventLoopTcpListener _listener;
    private readonly VirtualServiceState _service;
    private readonly ProxyFlowKey _key;
    private int _clientFd;
    private int _clientSlot = -1;
    private int _backendFd = -1;
    private int _backendSlot = -1;
    private Connection? _entry;
    private RealServerState? _destination;
    private RealServerState? _first;
    private List<RealServerState>? _tried;
    private int _attempt;
    private int _earlyBytes;
    private int _headerLeft; // PROXY header bytes not yet sent: a send failing before they are is logged as the header's (1016)
    private long _connectStarted;
    private long _lastActivity;
    private int _phase;
    private int _timeoutPosted;

    public EventLoopTcpConnection(ProxyForwarder owner, ProxyEventLoop loop, EventLoopTcpListener listener, VirtualServiceState service, int clientFd, ProxyFlowKey key)
    {
        _owner = owner;
        _loop = loop;
        _listener = listener;
        _service = service;
        _clientFd = clientFd;
        _key = key;
        _connectStarted = owner.TimeProvider.GetTimestamp();
        _lastActivity = _connectStarted;
    }

    private ConnectionTable Table => _owner.Connections;

    /// <summary>Starts scheduling and connecting (loop thread).</summary>
    public void Start()
    {
        _owner.Track(this);

        // Before the registration: bytes read here raise no event that would cost a read finding EAGAIN.
        ReadEarly();
        _clientSlot = _loop.Register(_clientFd, Registration, this, TagClient, out var errno);
        if (_clientSlot < 0)
        {
            ProxyLog.RelayFailed(_owner.Logger, _key.Client, _key.ClientPort, _service.Key, NativeTcp.ToSocketError(errno));
            AbortNow();
            return;
        }

        Connect();
    }

    public void CheckTimeouts(long now)
    {
        var phase = Volatile.Read(ref _phase);
        var expired = phase switch
        {
            PhaseConnecting => now - Volatile.Read(ref _connectStarted) > _owner.ConnectTimeoutTicks,
            PhaseRelaying => now - Volatile.Read(ref _lastActivity) > _owner.IdleTimeoutTicks,
            _ => false,
        };

        // The loop re-checks on its own thread: the state may have moved on since these reads.
        if (expired && Interlocked.Exchange(ref _timeoutPosted, 1) == 0)
        {
            _ = _loop.Post(static s => ((EventLoopTcpConnection)s!).OnTimeoutCheck(), this);
        }
    }

    /// <summary>Resets both sides and tells the table (RST), on the owning loop. Idempotent.</summary>
    public void Abort()
    {
        if (_loop.IsCurrent)
        {
            AbortNow();
        }
        else
        {
            _ = _loop.Post(static s => ((EventLoopTcpConnection)s!).AbortNow(), this);
        }
    }

    public void OnEvents(uint events, int tag)
    {
        if (_phase == PhaseClosed)
        {
            return;
        }

        var readable = (events & (LibC.EPOLLIN | LibC.EPOLLRDHUP | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0;
        var hangup = (events & (LibC.EPOLLRDHUP | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0;
        var writable = (events & (LibC.EPOLLOUT | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0;
        if (tag == TagClient)
        {
            _upstream.Readable |= readable;
            _upstream.HangUp |= hangup;
            _downstream.Writable |= writable;
        }
        else
        {
            _downstream.Readable |= readable;
            _downstream.HangUp |= hangup;
            _upstream.Writable |= writable;
            if (_phase == PhaseConnecting)
            {
                if (!writable)
                {
                    return;
                }

                // A failed connect always reports EPOLLERR (or EPOLLHUP); only then is SO_ERROR worth a call.
                var error = (events & (LibC.EPOLLERR | LibC.EPOLLHUP)) == 0 ? 0 : NativeTcp.PendingError(_backendFd);
                if (error == 0)
                {
                    OnConnected();
                }
                else
                {
                    OnAttemptFailed(NativeTcp.ToSocketError(error));
                    Connect();
                }

                return;
            }
        }

        Pump();
    }

    public void OnLoopStopped(int tag)
    {
        // The slot is already free; forget it so AbortNow does not free it again.
        if (tag == TagClient)
        {
            _clientSlot = -1;
        }
        else
        {
            _backendSlot = -1;
        }

        AbortNow();
    }

    /// <summary>
    /// Schedules and connects, trying up to <see cref="ProxyForwarderOptions.ConnectAttempts"/> servers, exactly as
    /// the Sockets engine: each attempt is a SYN to the table, a failed connect an RST, and a server the table picks
    /// again after it failed ends the tries.
    /// </summary>
    private void Connect()
    {
        var attempts = _owner.Options.ConnectAttempts;
        var address = stackalloc byte[NativeTcp.SockAddrCapacity];
        while (_phase == PhaseConnecting)
        {
            if (++_attempt > attempts)
            {
                break;
            }

            var decision = TcpTableFeed.Syn(Table, in _key, _service);
            if (decision.Verdict != ConnectionVerdict.Forward || decision.Destination is not { } destination || decision.Connection is null)
            {
                _owner.Statistics.CountNoDestination(ServiceProtocol.Tcp);
                ProxyLog.NoDestination(_owner.Logger, _service.Key, decision.Verdict, _key.Client, _key.ClientPort);
                AbortNow();
                return;
            }

            _entry = decision.Connection;
            if (destination == _first || (_tried?.Contains(destination) ?? false))
            {
                // The table insists on a server that already failed (persistence, deterministic scheduler).
                break;
            }

            _destination = destination;
            Volatile.Write(ref _connectStarted, _owner.TimeProvider.GetTimestamp());
            var fd = NativeTcp.Open(destination.Address);
            if (fd < 0)
            {
                OnAttemptFailed(NativeTcp.ToSocketError(Marshal.GetLastPInvokeError()));
                continue;
            }

            _backendFd = fd;
            _ = NativeTcp.SetOption(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, 1);
            if (_upstream.End > 0)
            {
                // Data goes out as soon as the handshake completes: let it carry the handshake's ACK (one packet
                // less). Delayed-ACK mode ends with the handshake, so the relay's own ACKs are not affected.
                _ = NativeTcp.SetOption(fd, LibC.IPPROTO_TCP, LibC.TCP_QUICKACK, 0);
            }

            var length = NativeTcp.WriteSockAddr(destination.Address, decision.DestinationPort, address);
            int result;
            do
            {
                result = LibC.Connect(fd, address, length);
            }
            while (result != 0 && Marshal.GetLastPInvokeError() == LibC.EINTR);

            var errno = result == 0 ? 0 : Marshal.GetLastPInvokeError();
            if (result != 0 && errno != LibC.EINPROGRESS)
            {
                OnAttemptFailed(NativeTcp.ToSocketError(errno));
                continue;
            }

            _backendSlot = _loop.Register(fd, Registration, this, TagBackend, out errno);
            if (_backendSlot < 0)
            {
                OnAttemptFailed(NativeTcp.ToSocketError(errno));
                continue;
            }

            if (result == 0)
            {
                OnConnected();
            }

            // Otherwise the first output (or error) event on the backend finishes the connect.
            return;
        }

        if (_phase == PhaseConnecting)
        {
            _owner.Statistics.CountConnectAttemptsExhausted();
            ProxyLog.ConnectAttemptsExhausted(_owner.Logger, _key.Client, _key.ClientPort, _service.Key, attempts);
            AbortNow();
        }
    }

    private void OnConnected()
    {
        Volatile.Write(ref _lastActivity, _owner.TimeProvider.GetTimestamp());
        Volatile.Write(ref _phase, PhaseRelaying);
        TcpTableFeed.Established(Table, in _key, _entry!);
        _owner.ReportConnectSuccess(_service.Key, _destination!, ServiceProtocol.Tcp);
        if (_phase != PhaseRelaying)
        {
            return;
        }

        var size = _owner.Options.BufferSize;
        _downstream.Buffer = ArrayPool<byte>.Shared.Rent(size);
        _downstream.Size = size;
        _upstream.Writable = true; // a connected socket has an empty send buffer

        // What the client sent before the connect reaches the table now, after the handshake, as if read now.
        if (_earlyBytes > 0)
        {
            TcpTableFeed.Data(Table, in _key, _entry!, inbound: true, _earlyBytes);
            _earlyBytes = 0;
        }

        if (_upstream.Eof)
        {
            TcpTableFeed.Fin(Table, in _key, _entry!, inbound: true);
        }

        Pump();
    }

    /// <summary>
    /// Queues the PROXY header (the first data the server gets, not counted) and whatever the client already sent as
    /// pending upstream bytes; an end of stream or an error found here is kept for the relay, which acts on it in
    /// order, after the pending bytes.
    /// </summary>
    private void ReadEarly()
    {
        var size = _owner.Options.BufferSize;
        _upstream.Buffer = ArrayPool<byte>.Shared.Rent(size);
        _upstream.Size = size;
        var version = _owner.Options.ProxyProtocol;
        if (version != ProxyProtocolVersion.None)
        {
            _upstream.End = ProxyProtocolHeader.Write(version, _key.Client, _key.ClientPort, _key.VirtualAddress, _key.VirtualPort, _upstream.Buffer);
            _headerLeft = _upstream.End;
        }

        var received = Receive(_clientFd, ref _upstream, out var errno);
        if (received > 0)
        {
            _earlyBytes = (int)received;
            _upstream.End += _earlyBytes;
        }
        else if (received == 0)
        {
            _upstream.Eof = true;
        }
        else if (errno != LibC.EAGAIN)
        {
            _upstream.Error = errno;
        }
    }

    /// <summary>This attempt failed: close its socket, reset the entry and report, so <see cref="Connect"/> can try the next server.</summary>
    private void OnAttemptFailed(SocketError error)
    {
        CloseBackend(reset: false);
        if (_entry is not null)
        {
            TcpTableFeed.Reset(Table, in _key, connecting: true);
        }

        _entry = null;
        var destination = _destination!;
        _owner.ReportConnectFailure(_service.Key, destination, ServiceProtocol.Tcp, error, _attempt);
        if (_first is null)
        {
            _first = destination;
        }
        else
        {
            (_tried ??= []).Add(destination);
        }
    }

    private void OnTimeoutCheck()
    {
        Volatile.Write(ref _timeoutPosted, 0);
        var now = _owner.TimeProvider.GetTimestamp();
        if (_phase == PhaseConnecting && _backendFd >= 0 && now - _connectStarted > _owner.ConnectTimeoutTicks)
        {
            OnAttemptFailed(SocketError.TimedOut);
            Connect();
        }
        else if (_phase == PhaseRelaying && now - _lastActivity > _owner.IdleTimeoutTicks)
        {
            _owner.Statistics.CountIdleTimeout();
            ProxyLog.IdleTimeout(_owner.Logger, _key.Client, _key.ClientPort, _service.Key, _owner.Options.IdleTimeout);
            AbortNow();
        }
    }

    /// <summary>Resets both sides and feeds the table an RST. Idempotent.</summary>
    private void AbortNow()
    {
        if (_phase == PhaseClosed)
        {
            return;
        }

        if (_entry is not null)
        {
            TcpTableFeed.Reset(Table, in _key, _phase == PhaseConnecting);
        }

        Volatile.Write(ref _phase, PhaseClosed);
        CloseClient(reset: true);
        CloseBackend(reset: true);
        Finish();
    }

    /// <summary>Both directions ended with a FIN and were passed on: a normal close on both sockets.</summary>
    private void CloseGracefully()
    {
        Volatile.Write(ref _phase, PhaseClosed);
        CloseClient(reset: false);
        CloseBackend(reset: false);
        Finish();
    }

    private void Finish()
    {
        ReturnBuffer(ref _upstream);
        ReturnBuffer(ref _downstream);
        _owner.Untrack(this);
        _loop.CountConnection(-1);
        _listener.ReleaseSlot();
    }

    private void CloseClient(bool reset)
    {
        if (_clientSlot >= 0)
        {
            _loop.Forget(_clientSlot);
            _clientSlot = -1;
        }

        if (_clientFd >= 0)
        {
            Close(_clientFd, reset);
            _clientFd = -1;
        }
    }

    private void CloseBackend(bool reset)
    {
        if (_backendSlot >= 0)
        {
            _loop.Forget(_backendSlot);
            _backendSlot = -1;
        }

        if (_backendFd >= 0)
        {
            Close(_backendFd, reset);
            _backendFd = -1;
        }

        _upstream.Writable = false;
        _downstream.Readable = false;
        _downstream.HangUp = false;
    }

    private static void Close(int fd, bool reset)
    {
        if (reset)
        {
            NativeTcp.ResetAndClose(fd);
        }
        else
        {
            _ = LibC.Close(fd);
        }
    }
}
