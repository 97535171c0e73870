namespace LoadBalancing.Connections;

/// <summary>What the forwarder should do with a packet after the connection table has seen it.</summary>
public enum ConnectionVerdict
{
    /// <summary>Forward the packet to <see cref="PacketDecision.Destination"/> (or, for replies, back to the client).</summary>
    Forward,

    /// <summary>
    /// The table does not handle the packet: hand it to the local stack unchanged (IPVS <c>NF_ACCEPT</c>). Examples:
    /// a TCP segment without SYN and without an entry, an FTP-data packet from port 20, a reply of a DR/TUN entry.
    /// </summary>
    NotScheduled,

    /// <summary>
    /// The service has no usable real server: drop the packet and answer with ICMP port unreachable
    /// (IPVS <c>ip_vs_leave</c>).
    /// </summary>
    NoDestination,

    /// <summary>Drop the packet silently (e.g. the entry's real server was deleted and <c>expire_nodest_conn</c> is off).</summary>
    Drop,
}
