namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>What the Direct-Routing forwarder did with one received frame.</summary>
public enum DirectRoutingVerdict
{
    /// <summary>The frame's MAC addresses were rewritten (destination: the real server's, source: the director's) and it is sent.</summary>
    Forward,

    /// <summary>
    /// An ICMP error (e.g. fragmentation needed, packet too big) about a forwarded connection's reply was relayed to
    /// that connection's real server, only the MAC addresses changed, as IPVS's <c>ip_vs_in_icmp</c> does for DR.
    /// </summary>
    RelayIcmp,

    /// <summary>The frame is not addressed to the director's MAC (flooded or another host's); ignored.</summary>
    NotForDirector,

    /// <summary>Not an IPv4/IPv6 frame; ignored.</summary>
    NotIp,

    /// <summary>Truncated or inconsistent headers; dropped and counted.</summary>
    Malformed,

    /// <summary>An IP fragment; dropped and counted (the ports are only in the first fragment).</summary>
    Fragment,

    /// <summary>Neither TCP, UDP nor SCTP; dropped and counted.</summary>
    UnsupportedProtocol,

    /// <summary>No virtual service matches and no connection entry exists; dropped.</summary>
    NoService,

    /// <summary>
    /// The connection table does not schedule the packet (e.g. a TCP segment without SYN and without an entry);
    /// dropped, since with Direct Routing the director's own stack must not answer for the virtual address.
    /// </summary>
    NotScheduled,

    /// <summary>The service has no usable real server; dropped.</summary>
    NoDestination,

    /// <summary>The connection table asked to drop the packet (e.g. its real server was removed).</summary>
    Drop,

    /// <summary>The chosen real server is not configured for direct routing (NAT or tunnel); dropped.</summary>
    UnsupportedMethod,

    /// <summary>
    /// The real server's MAC address is not known yet: dropped, and resolution is requested. The connection
    /// keeps its server, so the client's retransmission is forwarded once the address is resolved.
    /// </summary>
    NoNeighbour,
}
