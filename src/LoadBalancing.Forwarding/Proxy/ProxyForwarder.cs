using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net.Sockets;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.Proxy.Internal;
using LoadBalancing.Forwarding.Proxy.Internal.EventLoop;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Forwarding.Proxy;

/// <summary>
/// The userspace L4 proxy: a TCP listener or UDP socket per virtual service of a <see cref="ServiceTable"/>,
/// scheduling every client through the IPVS <see cref="ConnectionTable"/> (same schedulers, persistence templates and
/// ActiveConn/InActConn counters as the DR forwarder) and relaying bytes to the chosen real server. Runs on every
/// OS without privileges.
/// </summary>
/// <remarks>
/// <para>
/// The forwarder follows <see cref="ServiceTable.Changed"/>: a new service gets a listener, a removed one loses it
/// (accepted TCP connections finish; UDP sessions end with their socket). Weight-0 and removed real servers get
/// no new connections (the scheduler and the table decide) while open ones continue.
/// </para>
/// <para>
/// Supported: address-based TCP and UDP services with a port. Firewall-mark, SCTP and port-0 services need packet
/// forwarding; they are logged as errors (EventId 1003) and skipped.
/// </para>
/// <para>
/// Forwarding methods: the proxy always opens its own connection to the real server's address and port (the
/// table's destination port). The method only selects the IPVS state table of the entry: <c>Masquerade</c> entries
/// see both directions (INPUT/OUTPUT tables, as NAT), so <c>ipvsadm -Lc</c> shows CLOSE_WAIT/TIME_WAIT as for NAT;
/// <c>Route</c>, <c>Tunnel</c> and <c>Local</c> entries are NOOUTPUT and follow the INPUT-ONLY table, exactly as
/// under the DR forwarder (the server's FIN is not fed). Reply bytes are counted for every method.
/// </para>
/// <para>
/// TCP is relayed by one of two engines (<see cref="ProxyForwarderOptions.Engine"/>): .NET socket operations on every
/// OS, or on Linux a fixed set of epoll event-loop threads over non-blocking sockets (HAProxy's model), which is the
/// default there. Both schedule, count and report through the same code. Zero-copy relaying (splice) is not used:
/// each direction copies through one pooled buffer.
/// </para>
/// </remarks>
public sealed class ProxyForwarder : IAsyncDisposable
{
    private static readonly TimeSpan DrainAfterAbort = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<VirtualServiceKey, IProxyListener> _listeners = [];
    private readonly HashSet<VirtualServiceKey> _reportedUnsupported = [];
    private readonly ConcurrentDictionary<ITimedFlow, byte> _flows = new();
    private readonly EventHandler _onChanged;
    private ITimer? _sweeper;
    private ITimer? _expiry;
    private ProxyEventLoopGroup? _loops;
    private bool _running;
    private TaskCompletionSource _drained = NewDrainSignal();

    /// <summary>Initializes a stopped forwarder.</summary>
    /// <param name="services">The services to serve.</param>
    /// <param name="connections">The connection table; share it with the DR forwarder to share persistence and counters.</param>
    /// <param name="options">Timeouts and limits; <see cref="ProxyForwarderOptions.Default"/> when <see langword="null"/>.</param>
    /// <param name="logger">The logger, or <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock of the idle and connect timeouts; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public ProxyForwarder(ServiceTable services, ConnectionTable connections, ProxyForwarderOptions? options = null, ILogger<ProxyForwarder>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(connections);
        Options = options ?? ProxyForwarderOptions.Default;
        Options.Validate();
        Services = services;
        Connections = connections;
        Logger = logger ?? (ILogger)NullLogger.Instance;
        TimeProvider = timeProvider ?? TimeProvider.System;
        ConnectTimeoutTicks = ToTimestampTicks(Options.ConnectTimeout);
        IdleTimeoutTicks = ToTimestampTicks(Options.IdleTimeout);
        UdpTimeoutTicks = ToTimestampTicks(Options.UdpSessionTimeout);
        Engine = ResolveEngine(Options.Engine);
        _onChanged = (_, _) => Reconcile();
    }

    /// <summary>
    /// Raised (synchronously, before the next pick) when a connect to a real server fails or a UDP server answers
    /// ICMP port unreachable: the hook for passive health checking. A handler that quiesces the server
    /// (<see cref="ServiceTable.SetWeight"/> to 0) makes the retry of the same client avoid it. Handler exceptions
    /// are logged and ignored.
    /// </summary>
    public event EventHandler<ProxyConnectFailedEventArgs>? ConnectFailed;

    /// <summary>
    /// Raised (synchronously, on the connection's task) when the proxy reached a real server: for TCP when the
    /// connect completed, before the PROXY header and the relay; for UDP when a session receives the server's first
    /// reply (a datagram sent proves nothing, so a server that never answers raises neither this nor
    /// <see cref="ConnectFailed"/> unless it sends ICMP port unreachable). The other half of the passive health hook:
    /// a success resets the consecutive-failure count. Nothing is allocated when no handler is attached. Handler
    /// exceptions are logged and ignored.
    /// </summary>
    public event EventHandler<ProxyConnectSucceededEventArgs>? ConnectSucceeded;

    /// <summary>Gets the options.</summary>
    public ProxyForwarderOptions Options { get; }

    /// <summary>
    /// Gets the engine that relays TCP: <see cref="ProxyForwarderOptions.Engine"/> with <see cref="ProxyEngine.Auto"/>
    /// resolved (<see cref="ProxyEngine.EventLoop"/> on Linux, <see cref="ProxyEngine.Sockets"/> elsewhere).
    /// </summary>
    public ProxyEngine Engine { get; }

    /// <summary>Gets a value indicating whether the forwarder is started.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
            {
                return _running;
            }
        }
    }

    /// <summary>Gets the services that currently have a bound listener.</summary>
    public ImmutableArray<VirtualServiceKey> ListeningServices
    {
        get
        {
            lock (_gate)
            {
                return [.. _listeners.Keys];
            }
        }
    }

    /// <summary>Gets the number of open TCP connections and UDP sessions.</summary>
    public int OpenFlows => _flows.Count;

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private int[] LoopConnections() => _loops is { } loops ? [.. loops.Loops.Select(l => l.Connections)] : [];

    /// <summary>Gets the TCP connections each event loop relays (<see cref="ProxyEngine.EventLoop"/>; empty otherwise), for diagnostics and tests.</summary>
    internal IReadOnlyList<int> ConnectionsPerLoop => OperatingSystem.IsLinux() ? LoopConnections() : [];

    /// <summary>
    /// Gets the forwarder's counters: connections accepted, UDP sessions, and the failures it logs (accept and
    /// connect failures, clients without a real server, PROXY header errors, idle timeouts, the connection limit).
    /// <c>AddProxyForwarder</c> exports them as <c>lb.proxy.*</c> instruments on the <c>LoadBalancing</c> meter.
    /// </summary>
    public ProxyStatistics Statistics { get; } = new();

    internal ServiceTable Services { get; }

    internal ConnectionTable Connections { get; }

    internal ILogger Logger { get; }

    internal TimeProvider TimeProvider { get; }

    internal long ConnectTimeoutTicks { get; }

    internal long IdleTimeoutTicks { get; }

    internal long UdpTimeoutTicks { get; }

    /// <summary>
    /// Starts listening for every supported service of the table and follows its changes. Services whose socket
    /// cannot be bound are logged (EventId 1002) and retried on the next table change.
    /// </summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_running)
            {
                return;
            }

            if (Engine == ProxyEngine.EventLoop && OperatingSystem.IsLinux())
            {
                _loops = new ProxyEventLoopGroup(Options.EventLoopThreads, Logger);
                ProxyLog.EventLoopsStarted(Logger, _loops.Loops.Count);
            }

            _running = true;
            _drained = NewDrainSignal();
            Services.Changed += _onChanged;
            var period = SweepPeriod(Options);
            _sweeper = TimeProvider.CreateTimer(static state => ((ProxyForwarder)state!).Sweep(), this, period, period);
            if (Options.RunConnectionTableExpiry)
            {
                _expiry = Connections.StartExpiryTimer();
            }
        }

        Reconcile();
    }

    /// <summary>
    /// Stops listening, then waits for open connections to finish; when <paramref name="cancellationToken"/> is
    /// cancelled, the remaining connections are reset.
    /// </summary>
    /// <param name="cancellationToken">Cancel to stop waiting for open connections and reset them.</param>
    /// <returns>A task that completes when every connection has ended.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (!_running)
            {
                return;
            }

            _running = false;
            Services.Changed -= _onChanged;
            foreach (var listener in _listeners.Values)
            {
                listener.Dispose();
                ProxyLog.ListenerStopped(Logger, listener.Key);
            }

            _listeners.Clear();
            _reportedUnsupported.Clear();
        }

        var drained = _drained;
        SignalIfDrained();
        try
        {
            await drained.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            foreach (var flow in _flows.Keys)
            {
                flow.Abort();
            }

            // Aborting closes the sockets, so every relay loop ends promptly; the bound only guards against a bug.
            try
            {
                await drained.Task.WaitAsync(DrainAfterAbort, TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
            }
        }
        finally
        {
            ProxyEventLoopGroup? loops;
            lock (_gate)
            {
                _sweeper?.Dispose();
                _sweeper = null;
                _expiry?.Dispose();
                _expiry = null;
                loops = _loops;
                _loops = null;
            }

            // After the drain and outside the gate (a loop closing a leftover connection untracks it, which takes the
            // gate): the loops close what is left, a bug guard, as they stop.
            if (OperatingSystem.IsLinux())
            {
                loops?.Dispose();
            }
        }
    }

    /// <summary>Stops the forwarder and resets every open connection.</summary>
    /// <returns>A task that completes when every connection has ended.</returns>
    public async ValueTask DisposeAsync()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync().ConfigureAwait(false);
        await StopAsync(cancelled.Token).ConfigureAwait(false);
    }

    internal void Track(ITimedFlow flow) => _flows.TryAdd(flow, 0);

    internal void Untrack(ITimedFlow flow)
    {
        _flows.TryRemove(flow, out _);

        // Only the last flow can complete the drain (StopAsync checks again after it stopped listening), so the
        // closes of a running forwarder do not take the gate.
        if (_flows.IsEmpty)
        {
            SignalIfDrained();
        }
    }

    internal void ReportConnectFailure(VirtualServiceKey service, RealServerState destination, ServiceProtocol protocol, SocketError error, int attempt)
    {
        Statistics.CountConnectFailure(protocol);
        ProxyLog.ConnectFailed(Logger, destination, service, error, attempt);
        var handler = ConnectFailed;
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, new ProxyConnectFailedEventArgs(service, destination, protocol, error, attempt));
        }
#pragma warning disable CA1031 // A subscriber's bug must not kill the relay of an unrelated client.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ProxyLog.FailureHandlerFailed(Logger, ex);
        }
    }

    internal void ReportConnectSuccess(VirtualServiceKey service, RealServerState destination, ServiceProtocol protocol)
    {
        var handler = ConnectSucceeded;
        if (handler is null)
        {
            return;
        }

        try
        {
            handler(this, new ProxyConnectSucceededEventArgs(service, destination, protocol));
        }
#pragma warning disable CA1031 // A subscriber's bug must not kill the relay of an unrelated client.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ProxyLog.SuccessHandlerFailed(Logger, ex);
        }
    }

    private static ProxyEngine ResolveEngine(ProxyEngine engine) => engine switch
    {
        ProxyEngine.Auto => OperatingSystem.IsLinux() ? ProxyEngine.EventLoop : ProxyEngine.Sockets,
        ProxyEngine.EventLoop when !OperatingSystem.IsLinux() => throw new PlatformNotSupportedException(
            $"{nameof(ProxyForwarderOptions)}.{nameof(ProxyForwarderOptions.Engine)} = {nameof(ProxyEngine.EventLoop)} needs Linux (epoll); use {nameof(ProxyEngine.Auto)} or {nameof(ProxyEngine.Sockets)} on this OS"),
        _ => engine,
    };

    private static TaskCompletionSource NewDrainSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The sweeper runs four times per shortest timeout, between 10 ms and 1 s, so a timeout fires at most 25% late.</summary>
    private static TimeSpan SweepPeriod(ProxyForwarderOptions options)
    {
        var shortest = TimeSpan.FromTicks(Math.Min(options.ConnectTimeout.Ticks, Math.Min(options.IdleTimeout.Ticks, options.UdpSessionTimeout.Ticks)));
        return TimeSpan.FromTicks(Math.Clamp(shortest.Ticks / 4, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
    }

    private static (bool Supported, string? Reason) Supports(VirtualServiceKey key)
    {
        if (key.IsFirewallMark)
        {
            return (false, "firewall-mark services select packets, which a socket proxy never sees");
        }

        if (key.Protocol is not (ServiceProtocol.Tcp or ServiceProtocol.Udp))
        {
            return (false, "only TCP and UDP are proxied");
        }

        return key.Port == 0 ? (false, "port-0 (all ports) services cannot be listened on") : (true, null);
    }

    private IProxyListener CreateListener(VirtualServiceKey key)
    {
        if (key.Protocol != ServiceProtocol.Tcp)
        {
            return new UdpProxyListener(this, key);
        }

        return _loops is { } loops && OperatingSystem.IsLinux() ? new EventLoopTcpListener(this, key, loops.Loops) : new TcpProxyListener(this, key);
    }

    private long ToTimestampTicks(TimeSpan span) => (long)(span.TotalSeconds * TimeProvider.TimestampFrequency);

    private void SignalIfDrained()
    {
        bool running;
        lock (_gate)
        {
            running = _running;
        }

        if (!running && _flows.IsEmpty)
        {
            _drained.TrySetResult();
        }
    }

    private void Sweep()
    {
        var now = TimeProvider.GetTimestamp();
        foreach (var flow in _flows.Keys)
        {
            flow.CheckTimeouts(now);
        }
    }

    /// <summary>Brings the listeners in line with the service table.</summary>
    private void Reconcile()
    {
        lock (_gate)
        {
            if (!_running)
            {
                return;
            }

            var wanted = new HashSet<VirtualServiceKey>();
            var present = new HashSet<VirtualServiceKey>();
            foreach (var service in Services.Services)
            {
                var key = service.Key;
                present.Add(key);
                var (supported, reason) = Supports(key);
                if (!supported)
                {
                    if (_reportedUnsupported.Add(key))
                    {
                        ProxyLog.ServiceNotSupported(Logger, key, reason!);
                    }

                    continue;
                }

                wanted.Add(key);
                if (_listeners.ContainsKey(key))
                {
                    continue;
                }

                var listener = CreateListener(key);
                var error = listener.Start();
                if (error == SocketError.Success)
                {
                    _listeners.Add(key, listener);
                    ProxyLog.ListenerStarted(Logger, key);
                }
                else
                {
                    ProxyLog.ListenerFailed(Logger, key, error);
                }
            }

            foreach (var (key, listener) in _listeners.ToArray())
            {
                if (!wanted.Contains(key))
                {
                    listener.Dispose();
                    _listeners.Remove(key);
                    ProxyLog.ListenerStopped(Logger, key);
                }
            }

            // A removed unsupported service is reported again if it comes back.
            _reportedUnsupported.IntersectWith(present);
        }
    }
}
