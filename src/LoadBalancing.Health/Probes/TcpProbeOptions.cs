namespace LoadBalancing.Health.Probes;

/// <summary>Options of the TCP connect probe (keepalived <c>TCP_CHECK</c>).</summary>
public sealed record TcpProbeOptions
{
    /// <summary>Gets the port to connect to instead of the target's (<c>connect_port</c>); 0 uses the target's port.</summary>
    public ushort Port { get; init; }

    /// <summary>Gets the connect timeout (<c>connect_timeout</c>); 5 s by default as in keepalived.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Gets a value indicating whether the probe closes its connection with a reset (SO_LINGER 0) instead of a
    /// FIN; <see langword="true"/> by default. A FIN close leaves the socket in TIME_WAIT on the checker for 60 s:
    /// 10 000 targets at a 1 s delay loop would keep 600 000 of them, past the kernel's
    /// <c>tcp_max_tw_buckets</c>. A reset frees both ends at once (HAProxy closes its TCP checks the same way);
    /// set <see langword="false"/> for keepalived's plain close.
    /// </summary>
    public bool AbortiveClose { get; init; } = true;
}
