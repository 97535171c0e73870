namespace LoadBalancing.Health.Probes;

/// <summary>Options of the UDP probe (keepalived <c>UDP_CHECK</c>).</summary>
public sealed record UdpProbeOptions
{
    /// <summary>Gets the port to send to instead of the target's; 0 uses the target's port.</summary>
    public ushort Port { get; init; }

    /// <summary>Gets the datagram to send (<c>payload</c>); empty sends an empty datagram.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    /// <summary>
    /// Gets a value indicating whether a reply is required (<c>require_reply</c>). Without it the check passes
    /// when no ICMP port-unreachable arrives within <see cref="Timeout"/>.
    /// </summary>
    public bool RequireReply { get; init; }

    /// <summary>Gets the bytes the reply must start with; empty accepts any reply.</summary>
    public ReadOnlyMemory<byte> ExpectedReplyPrefix { get; init; }

    /// <summary>Gets how long to wait for a reply or an ICMP error; 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
