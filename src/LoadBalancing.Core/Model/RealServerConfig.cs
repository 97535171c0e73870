namespace LoadBalancing.Model;

/// <summary>
/// Configuration of one real server of a virtual service (<c>ipvsadm -a</c>). Immutable; validated as part of
/// a <see cref="LoadBalancerConfig"/>.
/// </summary>
public sealed record RealServerConfig
{
    /// <summary>The highest weight ipvsadm accepts.</summary>
    public const int MaxWeight = 65535;

    /// <summary>Gets the real server's address.</summary>
    public required NetworkAddress Address { get; init; }

    /// <summary>Gets the real server's port. For firewall-mark services 0 keeps the client's destination port.</summary>
    public ushort Port { get; init; }

    /// <summary>Gets the forwarding method; <see cref="ForwardingMethod.Route"/> (direct routing) by default, as in ipvsadm.</summary>
    public ForwardingMethod Method { get; init; } = ForwardingMethod.Route;

    /// <summary>Gets the weight, 0..65535; 1 by default. 0 quiesces the server: no new connections.</summary>
    public int Weight { get; init; } = 1;

    /// <summary>Gets the upper connection threshold (<c>-x</c>); 0 = none.</summary>
    public uint UpperThreshold { get; init; }

    /// <summary>Gets the lower connection threshold (<c>-y</c>); 0 = three quarters of the upper one.</summary>
    public uint LowerThreshold { get; init; }

    /// <summary>Gets the tunnel encapsulation (<see cref="ForwardingMethod.Tunnel"/> only).</summary>
    public TunnelType TunnelType { get; init; }

    /// <summary>Gets the GUE destination port (<see cref="TunnelType.Gue"/> only).</summary>
    public ushort TunnelPort { get; init; }

    /// <summary>Gets the tunnel checksum mode (GUE and GRE only).</summary>
    public TunnelChecksum TunnelChecksum { get; init; }
}
