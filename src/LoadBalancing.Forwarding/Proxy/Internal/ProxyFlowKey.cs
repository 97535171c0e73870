using LoadBalancing.Connections;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>
/// The client ↔ virtual service tuple of one proxied flow, and the synthetic packets the proxy feeds the IPVS
/// connection table so its entries, state machine and counters follow the proxied connection.
/// </summary>
/// <remarks>
/// The proxy sees sockets, not segments, so it translates socket events into the segments IPVS would have seen:
/// accept = client SYN, backend connected = (server SYN+ACK, NAT only) + client ACK, end of stream = FIN, error,
/// idle timeout or failed connect = RST, each data chunk = one ACK segment carrying the chunk's length. Lengths
/// count payload bytes only; control segments have length 0.
/// </remarks>
/// <param name="Protocol">TCP or UDP.</param>
/// <param name="Client">The client's address.</param>
/// <param name="ClientPort">The client's port.</param>
/// <param name="VirtualAddress">The virtual address (the listener's address).</param>
/// <param name="VirtualPort">The virtual port.</param>
internal readonly record struct ProxyFlowKey(ServiceProtocol Protocol, NetworkAddress Client, ushort ClientPort, NetworkAddress VirtualAddress, ushort VirtualPort)
{
    /// <summary>A client → virtual service packet.</summary>
    public PacketInfo Inbound(TcpFlags flags, int length) => new()
    {
        Protocol = Protocol,
        SourceAddress = Client,
        SourcePort = ClientPort,
        DestinationAddress = VirtualAddress,
        DestinationPort = VirtualPort,
        TcpFlags = flags,
        Length = length,
    };

    /// <summary>A real server → client packet, as the NAT reply lookup expects it.</summary>
    public PacketInfo Outbound(Connection connection, TcpFlags flags, int length) => new()
    {
        Protocol = Protocol,
        SourceAddress = connection.DestinationAddress,
        SourcePort = connection.DestinationPort,
        DestinationAddress = Client,
        DestinationPort = ClientPort,
        TcpFlags = flags,
        Length = length,
    };
}
