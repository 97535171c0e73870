using LoadBalancing.Model;

namespace LoadBalancing.Connections;

/// <summary>
/// The header fields of one packet that the connection table needs, as parsed by a forwarder. Source and
/// destination are as on the wire: client → virtual address for inbound packets, real server → client for replies.
/// </summary>
public readonly record struct PacketInfo
{
    /// <summary>Gets the transport protocol.</summary>
    public required ServiceProtocol Protocol { get; init; }

    /// <summary>Gets the source address.</summary>
    public required NetworkAddress SourceAddress { get; init; }

    /// <summary>Gets the source port (SCTP: the source port of the common header).</summary>
    public required ushort SourcePort { get; init; }

    /// <summary>Gets the destination address.</summary>
    public required NetworkAddress DestinationAddress { get; init; }

    /// <summary>Gets the destination port.</summary>
    public required ushort DestinationPort { get; init; }

    /// <summary>Gets the TCP flags (TCP only).</summary>
    public TcpFlags TcpFlags { get; init; }

    /// <summary>
    /// Gets the SCTP chunk that drives the state machine (SCTP only): the first chunk, or
    /// <see cref="SctpChunkType.Abort"/> when a COOKIE ECHO or COOKIE ACK is followed by an ABORT in the same
    /// packet, as IPVS's <c>set_sctp_state</c> looks for.
    /// </summary>
    public SctpChunkType SctpChunk { get; init; }

    /// <summary>Gets the packet length in bytes (IP header included), for the traffic counters.</summary>
    public int Length { get; init; }
}
