namespace LoadBalancing.Health.Probes;

/// <summary>Options of the TCP connect probe (keepalived <c>TCP_CHECK</c>).</summary>
public sealed record TcpProbeOptions
{
    /// <summary>Gets the port to connect to instead of the target's (<c>connect_port</c>); 0 uses the target's port.</summary>
    public ushort Port { get; init; }

    /// <summary>Gets the connect timeout (<c>connect_timeout</c>); 5 s by default as in keepalived.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
