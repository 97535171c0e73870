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

    /// <summary>An IP packet of another transport protocol (ICMP other than errors, GRE …).</summary>
    UnsupportedProtocol,

    /// <summary>
    /// An ICMP/ICMPv6 error about a TCP/UDP/SCTP packet; <see cref="ParsedFrame.Packet"/> holds the embedded packet's
    /// fields as they were sent (for DR: virtual address → client, from a real server's reply) and the outer length.
    /// </summary>
    IcmpError,
}
