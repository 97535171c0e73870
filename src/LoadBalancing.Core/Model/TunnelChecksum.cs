namespace LoadBalancing.Model;

/// <summary>Outer checksum mode of a GUE or GRE tunnel (<c>--tun-nocsum</c>, <c>--tun-csum</c>, <c>--tun-remcsum</c>).</summary>
public enum TunnelChecksum
{
    /// <summary>No checksum (the default).</summary>
    None = 0,

    /// <summary>Outer checksum.</summary>
    Checksum = 1,

    /// <summary>Remote checksum offload (GUE only).</summary>
    Remote = 2,
}
