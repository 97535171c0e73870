namespace LoadBalancing.Model;

/// <summary>Encapsulation used by <see cref="ForwardingMethod.Tunnel"/> (<c>--tun-type</c>).</summary>
public enum TunnelType
{
    /// <summary>IP-in-IP (the default).</summary>
    IpIp = 0,

    /// <summary>Generic UDP Encapsulation; needs <see cref="RealServerConfig.TunnelPort"/>.</summary>
    Gue = 1,

    /// <summary>GRE.</summary>
    Gre = 2,
}
