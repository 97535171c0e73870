using System.Buffers.Binary;
using System.Runtime.InteropServices;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The key of the fast path's flow map: the IPv4 header's source and destination and the transport header's ports
/// exactly as on the wire (network order, copied by the program with two word loads), then the protocol number.
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Length)]
internal struct XdpFlowKey : IEquatable<XdpFlowKey>
{
    public const int Length = 16;

    public uint SourceAddress;      // offset 0, network order
    public uint DestinationAddress; // offset 4, network order
    public ushort SourcePort;       // offset 8, network order
    public ushort DestinationPort;  // offset 10, network order
    public uint Protocol;           // offset 12, the protocol number in the low byte

    public static XdpFlowKey Create(ServiceProtocol protocol, NetworkAddress client, ushort clientPort, NetworkAddress virtualAddress, ushort virtualPort) => new()
    {
        SourceAddress = BinaryPrimitives.ReverseEndianness(client.IPv4Value),
        DestinationAddress = BinaryPrimitives.ReverseEndianness(virtualAddress.IPv4Value),
        SourcePort = BinaryPrimitives.ReverseEndianness(clientPort),
        DestinationPort = BinaryPrimitives.ReverseEndianness(virtualPort),
        Protocol = (uint)protocol,
    };

    public readonly bool Equals(XdpFlowKey other)
        => SourceAddress == other.SourceAddress && DestinationAddress == other.DestinationAddress && SourcePort == other.SourcePort
            && DestinationPort == other.DestinationPort && Protocol == other.Protocol;

    public override readonly bool Equals(object? obj) => obj is XdpFlowKey other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(SourceAddress, DestinationAddress, SourcePort, DestinationPort, Protocol);
}

/// <summary>
/// The value of the fast path's flow map: the MAC addresses the program writes (real server's, director's) and the
/// counters it keeps (packets and IP bytes with atomic adds, and how many of the packets were TCP FINs and RSTs, so
/// user space can apply their state transitions). A flow the program made for a SYN it scheduled itself carries the
/// pick's destination id (or <see cref="XdpScheduleRing.StickyId"/> for a flow it renewed for a reused tuple) and
/// the SYN's IP length in <see cref="Scheduled"/>, and a nonzero <see cref="Incarnation"/> that tells it apart from
/// the flow it replaced (both 0 in a flow user space made).
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = Length)]
internal unsafe struct XdpFlowValue
{
    public const int Length = 56;
    public const int ScheduledOffset = 12;
    public const int PacketsOffset = 16;
    public const int BytesOffset = 24;
    public const int IncarnationOffset = 32;
    public const int FinsOffset = 40;
    public const int ResetsOffset = 48;

    public fixed byte Macs[12]; // destination (real server) then source (director), as in the Ethernet header
    public uint Scheduled;          // kernel-made: destination id | SYN IP length << 16
    public ulong Packets;
    public ulong Bytes;
    public ulong Incarnation;       // kernel-made: bpf_ktime_get_ns() | 1 when made; 0 in a flow user space made
    public ulong Fins;
    public ulong Resets;

    public static XdpFlowValue Create(MacAddress server, MacAddress director)
    {
        var value = default(XdpFlowValue);
        var macs = new Span<byte>(value.Macs, 12);
        server.Write(macs);
        director.Write(macs[MacAddress.Length..]);
        return value;
    }
}
