namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>The outcome of <see cref="FrameParser.Parse"/>.</summary>
internal enum FrameParseResult
{
    /// <summary>An unfragmented IPv4/IPv6 TCP, UDP or SCTP packet whose headers are complete.</summary>
    Ok,

    /// <summary>Not IPv4 or IPv6 (ARP, VLAN-tagged, LLDP …).</summary>
    NotIp,

    /// <summary>Truncated or inconsistent headers (bad IPv4 header checksum, lengths beyond the frame, bad offsets).</summary>
    Malformed,

    /// <summary>An IP fragment: the ports are not in every fragment, so it cannot be looked up.</summary>
    Fragment,

    /// <summary>An IP packet of another transport protocol (ICMP, GRE …).</summary>
    UnsupportedProtocol,
}
