namespace LoadBalancing.Forwarding.Proxy;

/// <summary>
/// Counters of a <see cref="ProxyForwarder"/> (all services together), cumulative since it was created: what it
/// accepted and the failures it otherwise only logs. Per-service and per-server connection, packet and byte counters
/// are kept by the connection table in <see cref="Runtime.TrafficStatistics"/>.
/// </summary>
/// <remarks>Each counter is one interlocked increment on an accept or failure path; relaying counts nothing here.</remarks>
public sealed class ProxyStatistics
{
    private long _tcpConnections;
    private long _udpSessions;
    private long _acceptErrors;
    private long _limitWaits;
    private long _tcpConnectFailures;
    private long _udpConnectFailures;
    private long _tcpNoDestination;
    private long _udpNoDestination;
    private long _connectAttemptsExhausted;
    private long _proxyHeaderErrors;
    private long _idleTimeouts;
    private long _udpSendErrors;

    /// <summary>Gets the TCP connections accepted from clients.</summary>
    public long TcpConnections => Volatile.Read(ref _tcpConnections);

    /// <summary>Gets the UDP sessions opened (a client endpoint's first datagram, or the first after the table moved it to another server).</summary>
    public long UdpSessions => Volatile.Read(ref _udpSessions);

    /// <summary>Gets the accepts that failed with an error other than a close (e.g. out of file descriptors, EventId 1004).</summary>
    public long AcceptErrors => Volatile.Read(ref _acceptErrors);

    /// <summary>
    /// Gets the times a TCP listener stopped accepting because its service had
    /// <see cref="ProxyForwarderOptions.MaxConnectionsPerService"/> open connections; meanwhile new clients wait in
    /// the kernel's backlog (HAProxy's <c>maxconn</c>). The sockets engine counts each time the limit is reached;
    /// the event-loop engine each time a loop finds a client waiting at the limit and pauses. Not zero means clients
    /// queued: raise the limit or add capacity.
    /// </summary>
    public long LimitWaits => Volatile.Read(ref _limitWaits);

    /// <summary>
    /// Gets the TCP connects to real servers that failed (refused, timed out, unreachable; EventId 1011), each
    /// attempt counted; the client is retried on another server up to <see cref="ProxyForwarderOptions.ConnectAttempts"/> times.
    /// </summary>
    public long TcpConnectFailures => Volatile.Read(ref _tcpConnectFailures);

    /// <summary>Gets the UDP sessions whose real server answered ICMP port unreachable or whose socket could not be connected.</summary>
    public long UdpConnectFailures => Volatile.Read(ref _udpConnectFailures);

    /// <summary>Gets the TCP clients closed because the connection table gave no real server (EventId 1010).</summary>
    public long TcpNoDestination => Volatile.Read(ref _tcpNoDestination);

    /// <summary>Gets the UDP datagrams dropped because the connection table gave no real server (EventId 1022).</summary>
    public long UdpNoDestination => Volatile.Read(ref _udpNoDestination);

    /// <summary>Gets the TCP clients reset after every connect attempt failed (EventId 1012).</summary>
    public long ConnectAttemptsExhausted => Volatile.Read(ref _connectAttemptsExhausted);

    /// <summary>Gets the connections reset because the PROXY protocol header could not be sent to the real server (EventId 1016).</summary>
    public long ProxyHeaderErrors => Volatile.Read(ref _proxyHeaderErrors);

    /// <summary>Gets the TCP connections reset after <see cref="ProxyForwarderOptions.IdleTimeout"/> without traffic (EventId 1013).</summary>
    public long IdleTimeouts => Volatile.Read(ref _idleTimeouts);

    /// <summary>Gets the client datagrams that could not be sent on to the real server (EventId 1023).</summary>
    public long UdpSendErrors => Volatile.Read(ref _udpSendErrors);

    internal void CountTcpConnection() => Interlocked.Increment(ref _tcpConnections);

    internal void CountUdpSession() => Interlocked.Increment(ref _udpSessions);

    internal void CountAcceptError() => Interlocked.Increment(ref _acceptErrors);

    internal void CountLimitWait() => Interlocked.Increment(ref _limitWaits);

    internal void CountConnectFailure(Model.ServiceProtocol protocol)
        => Interlocked.Increment(ref protocol == Model.ServiceProtocol.Udp ? ref _udpConnectFailures : ref _tcpConnectFailures);

    internal void CountNoDestination(Model.ServiceProtocol protocol)
        => Interlocked.Increment(ref protocol == Model.ServiceProtocol.Udp ? ref _udpNoDestination : ref _tcpNoDestination);

    internal void CountConnectAttemptsExhausted() => Interlocked.Increment(ref _connectAttemptsExhausted);

    internal void CountProxyHeaderError() => Interlocked.Increment(ref _proxyHeaderErrors);

    internal void CountIdleTimeout() => Interlocked.Increment(ref _idleTimeouts);

    internal void CountUdpSendError() => Interlocked.Increment(ref _udpSendErrors);
}
