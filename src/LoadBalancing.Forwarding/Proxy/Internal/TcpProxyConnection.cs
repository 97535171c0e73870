using System.Buffers;
using System.Net;
using System.Net.Sockets;
using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>
/// One proxied TCP connection: schedules through the connection table, connects to the real server (with retries
/// on other servers), sends the PROXY header, relays both directions and keeps the table entry in step.
/// </summary>
internal sealed partial class TcpProxyConnection : ITimedFlow
{
    private const int PhaseConnecting = 0;
    private const int PhaseRelaying = 1;

    private readonly ProxyForwarder _owner;
    private readonly VirtualServiceState _service;
    private readonly Socket _client;
    private readonly SemaphoreSlim? _slot;
    private readonly Lock _connectLock = new();
    private readonly ProxyFlowKey _key;
    private Socket? _backend;
    private Connection? _entry;
    private long _connectStarted;
    private long _lastActivity;
    private int _phase;
    private int _closed;
    private bool _connectTimedOut;

    public TcpProxyConnection(ProxyForwarder owner, VirtualServiceState service, Socket client, SemaphoreSlim? slot)
    {
        _owner = owner;
        _service = service;
        _client = client;
        _slot = slot;
        client.NoDelay = true;
        var remote = (IPEndPoint)client.RemoteEndPoint!;
        _key = new ProxyFlowKey(ServiceProtocol.Tcp, NetworkAddress.FromIPAddress(remote.Address), (ushort)remote.Port, service.Key.Address, service.Key.Port);
    }

    private ConnectionTable Table => _owner.Connections;

    /// <summary>Resets a socket (RST instead of FIN) and closes it; safe on a socket that is already closed.</summary>
    public static void Reset(Socket? socket)
    {
        if (socket is null)
        {
            return;
        }

        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }

        socket.Dispose();
    }

    public void Start()
    {
        _owner.Track(this);
        _ = RunAsync();
    }

    public void CheckTimeouts(long now)
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _phase) == PhaseConnecting)
        {
            lock (_connectLock)
            {
                if (_backend is not null && now - _connectStarted > _owner.ConnectTimeoutTicks)
                {
                    // Closing the socket completes the pending connect with OperationAborted.
                    _connectTimedOut = true;
                    _backend.Dispose();
                }
            }

            return;
        }

        if (now - Volatile.Read(ref _lastActivity) > _owner.IdleTimeoutTicks)
        {
            _owner.Statistics.CountIdleTimeout();
            ProxyLog.IdleTimeout(_owner.Logger, _key.Client, _key.ClientPort, _service.Key, _owner.Options.IdleTimeout);
            Abort();
        }
    }

    /// <summary>Resets both sides and tells the table (RST). Idempotent; the relay loops end as their sockets close.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        FeedReset();
        Reset(_client);
        lock (_connectLock)
        {
            Reset(_backend);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            using var upstream = new SocketOperation();
            using var downstream = new SocketOperation();
            if (await ConnectAsync(upstream).ConfigureAwait(false))
            {
                await RelayAsync(upstream, downstream).ConfigureAwait(false);
            }
        }
#pragma warning disable CA1031 // Detached task: a bug here must reset this connection, not crash the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ProxyLog.Unexpected(_owner.Logger, _service.Key, ex);
            Abort();
        }
        finally
        {
            _owner.Untrack(this);
            _slot?.Release();
        }
    }

    /// <summary>
    /// Schedules and connects, trying up to <see cref="ProxyForwarderOptions.ConnectAttempts"/> servers. Each
    /// attempt is a SYN to the table; a failed connect is an RST, which leaves the entry in CLOSE so the next SYN
    /// is scheduled afresh (<c>conn_reuse_mode</c>), unless a persistence template pins the client to the server.
    /// </summary>
    private async ValueTask<bool> ConnectAsync(SocketOperation operation)
    {
        var attempts = _owner.Options.ConnectAttempts;
        RealServerState? first = null;
        List<RealServerState>? tried = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var decision = TcpTableFeed.Syn(Table, in _key, _service);
            if (decision.Verdict != ConnectionVerdict.Forward || decision.Destination is not { } destination || decision.Connection is null)
            {
                _owner.Statistics.CountNoDestination(ServiceProtocol.Tcp);
                ProxyLog.NoDestination(_owner.Logger, _service.Key, decision.Verdict, _key.Client, _key.ClientPort);
                Abort();
                return false;
            }

            _entry = decision.Connection;
            if (destination == first || (tried?.Contains(destination) ?? false))
            {
                // The table insists on a server that already failed (persistence, deterministic scheduler).
                break;
            }

            var backend = new Socket(destination.Address.Family, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            lock (_connectLock)
            {
                if (Volatile.Read(ref _closed) != 0)
                {
                    backend.Dispose();
                    return false;
                }

                _backend = backend;
                _connectTimedOut = false;
                _connectStarted = _owner.TimeProvider.GetTimestamp();
            }

            var error = await operation.ConnectAsync(backend, new IPEndPoint(destination.Address.ToIPAddress(), decision.DestinationPort)).ConfigureAwait(false);
            if (error == SocketError.Success && Volatile.Read(ref _closed) == 0)
            {
                Volatile.Write(ref _lastActivity, _owner.TimeProvider.GetTimestamp());
                Volatile.Write(ref _phase, PhaseRelaying);
                FeedEstablished();
                _owner.ReportConnectSuccess(_service.Key, destination, ServiceProtocol.Tcp);
                return await SendProxyHeaderAsync(operation, destination).ConfigureAwait(false);
            }

            bool timedOut;
            lock (_connectLock)
            {
                timedOut = _connectTimedOut;
                _backend = null;
            }

            backend.Dispose();
            if (Volatile.Read(ref _closed) != 0)
            {
                return false; // stopping
            }

            FeedReset();
            _entry = null;
            _owner.ReportConnectFailure(_service.Key, destination, ServiceProtocol.Tcp, timedOut ? SocketError.TimedOut : error, attempt);
            if (first is null)
            {
                first = destination;
            }
            else
            {
                (tried ??= []).Add(destination);
            }
        }

        _owner.Statistics.CountConnectAttemptsExhausted();
        ProxyLog.ConnectAttemptsExhausted(_owner.Logger, _key.Client, _key.ClientPort, _service.Key, attempts);
        Abort();
        return false;
    }

    private async ValueTask<bool> SendProxyHeaderAsync(SocketOperation operation, RealServerState destination)
    {
        var version = _owner.Options.ProxyProtocol;
        if (version == ProxyProtocolVersion.None)
        {
            return true;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(ProxyProtocolHeader.MaxLength);
        try
        {
            var length = ProxyProtocolHeader.Write(version, _key.Client, _key.ClientPort, _key.VirtualAddress, _key.VirtualPort, buffer);
            var error = await SendAllAsync(operation, _backend!, buffer.AsMemory(0, length)).ConfigureAwait(false);
            if (error != SocketError.Success)
            {
                _owner.Statistics.CountProxyHeaderError();
                ProxyLog.ProxyHeaderFailed(_owner.Logger, destination, error);
                Abort();
                return false;
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void FeedEstablished() => TcpTableFeed.Established(Table, in _key, _entry!);

    /// <summary>Tells the table the connection is over (<see cref="TcpTableFeed.Reset"/>).</summary>
    private void FeedReset()
    {
        if (_entry is not null)
        {
            TcpTableFeed.Reset(Table, in _key, Volatile.Read(ref _phase) == PhaseConnecting);
        }
    }
}
