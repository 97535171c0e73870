namespace LoadBalancing.Model;

/// <summary>The three timeouts <c>ipvsadm --set tcp tcpfin udp</c> controls.</summary>
public sealed record TimeoutConfig
{
    /// <summary>The kernel defaults: TCP 900 s, TCP FIN_WAIT 120 s, UDP 300 s.</summary>
    public static TimeoutConfig Default { get; } = new();

    /// <summary>The longest value ipvsadm accepts: 31 days.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromSeconds(2678400);

    /// <summary>Gets the TCP ESTABLISHED timeout.</summary>
    public TimeSpan TcpEstablished { get; init; } = TimeSpan.FromSeconds(900);

    /// <summary>Gets the TCP FIN_WAIT timeout.</summary>
    public TimeSpan TcpFinWait { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>Gets the UDP timeout.</summary>
    public TimeSpan Udp { get; init; } = TimeSpan.FromSeconds(300);
}
