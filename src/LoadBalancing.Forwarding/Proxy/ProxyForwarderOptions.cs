namespace LoadBalancing.Forwarding.Proxy;

/// <summary>Timeouts, limits and the PROXY protocol switch of the <see cref="ProxyForwarder"/>.</summary>
public sealed record ProxyForwarderOptions
{
    /// <summary>Gets the default options.</summary>
    public static ProxyForwarderOptions Default { get; } = new();

    /// <summary>The most event-loop threads <see cref="EventLoopThreads"/> accepts.</summary>
    public const int MaxEventLoopThreads = 256;

    /// <summary>Gets how long a connect to a real server may take before it counts as failed; 5 s by default.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets how many real servers one client connection may try (the first pick included) when connects fail;
    /// 3 by default. A retry asks the connection table again; when it answers with a server already tried
    /// (persistence, hashing and least-connection schedulers are deterministic) the client is closed.
    /// </summary>
    public int ConnectAttempts { get; init; } = 3;

    /// <summary>
    /// Gets how long a TCP connection may see no bytes in either direction before both sides are reset; 900 s by
    /// default, IPVS's ESTABLISHED timeout. Keep it at or below the connection table's TCP timeout, or the table
    /// may expire the entry (and release its ActiveConn) of a connection that is still open.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(900);

    /// <summary>Gets how long a UDP session may be idle before its socket to the real server is closed; 300 s by default, IPVS's UDP timeout.</summary>
    public TimeSpan UdpSessionTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Gets the most client connections one TCP service has open at once; 0 (the default) means no limit. At the
    /// limit the service stops accepting, so further clients wait in the listen backlog (HAProxy's <c>maxconn</c>).
    /// </summary>
    public int MaxConnectionsPerService { get; init; }

    /// <summary>
    /// Gets the size of each relay buffer; 16 KiB by default. A TCP connection holds two (one per direction) and
    /// reads the next chunk only after the previous one was sent, which bounds memory and gives backpressure.
    /// </summary>
    public int BufferSize { get; init; } = 16 * 1024;

    /// <summary>Gets the listen backlog of each TCP listener; 512 by default.</summary>
    public int ListenBacklog { get; init; } = 512;

    /// <summary>Gets the PROXY protocol header sent to real servers (TCP only); none by default.</summary>
    public ProxyProtocolVersion ProxyProtocol { get; init; }

    /// <summary>
    /// Gets a value indicating whether the forwarder runs the connection table's once-a-second expiry timer while it
    /// is started; on by default. Turn it off when another component (the DR forwarder, a host) already does.
    /// </summary>
    public bool RunConnectionTableExpiry { get; init; } = true;

    /// <summary>
    /// Gets the engine that relays TCP connections; <see cref="ProxyEngine.Auto"/> (the default) picks the event loop
    /// on Linux and .NET sockets elsewhere. <see cref="ProxyEngine.EventLoop"/> on another OS makes the forwarder's
    /// constructor throw <see cref="PlatformNotSupportedException"/>.
    /// </summary>
    public ProxyEngine Engine { get; init; }

    /// <summary>
    /// Gets the number of event-loop threads of the <see cref="ProxyEngine.EventLoop"/> engine; 0 (the default) means
    /// one per processor (<see cref="Environment.ProcessorCount"/>). Each thread accepts, connects and relays its own
    /// connections. Ignored by the other engine.
    /// </summary>
    public int EventLoopThreads { get; init; }

    /// <summary>
    /// Gets a value indicating whether the <see cref="ProxyEngine.EventLoop"/> engine gives each loop its own listening
    /// socket (<c>SO_REUSEPORT</c>; the kernel hashes new connections over them) instead of one socket shared by every
    /// loop (<c>EPOLLEXCLUSIVE</c>: the first idle loop takes the connection); off by default. With per-loop sockets
    /// another <c>SO_REUSEPORT</c> socket of the same user can bind the port too.
    /// </summary>
    public bool ListenSocketPerLoop { get; init; }

    /// <summary>Throws when an option is out of range, naming the option.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ConnectTimeout, TimeSpan.Zero, nameof(ConnectTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(ConnectAttempts, 1, nameof(ConnectAttempts));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTimeout, TimeSpan.Zero, nameof(IdleTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(UdpSessionTimeout, TimeSpan.Zero, nameof(UdpSessionTimeout));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxConnectionsPerService, nameof(MaxConnectionsPerService));
        ArgumentOutOfRangeException.ThrowIfLessThan(BufferSize, 512, nameof(BufferSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(ListenBacklog, 1, nameof(ListenBacklog));
        ArgumentOutOfRangeException.ThrowIfNegative(EventLoopThreads, nameof(EventLoopThreads));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(EventLoopThreads, MaxEventLoopThreads, nameof(EventLoopThreads));
        if (!Enum.IsDefined(Engine))
        {
            throw new ArgumentOutOfRangeException(nameof(Engine), Engine, "expected Auto, Sockets or EventLoop");
        }

        if (!Enum.IsDefined(ProxyProtocol))
        {
            throw new ArgumentOutOfRangeException(nameof(ProxyProtocol), ProxyProtocol, "expected None, V1 or V2");
        }
    }
}
