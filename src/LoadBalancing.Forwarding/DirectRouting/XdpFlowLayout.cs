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
/// pick's destination id and the SYN's IP length in <see cref="Scheduled"/>, and a nonzero
/// <see cref="Incarnation"/> that tells it apart from another flow of the same tuple (both 0 in a flow user space
/// made).
/// </summary>
/// <remarks>
/// A SYN that reuses the tuple of a connection the client closed renews the flow in place (see
/// <see cref="XdpProgram"/>): the program claims the renewal word at <see cref="RenewalOffset"/> with one
/// compare-and-exchange (one more <see cref="Renewals"/>; <see cref="FinsBase"/>, the low 16 bits of
/// <see cref="Fins"/> so far; <see cref="Base"/>, the low 32 bits of <see cref="Packets"/> through the SYN), puts the
/// SYN's length in <see cref="Scheduled"/>'s high half, and adds the SYN's bytes and then its packet. The counters
/// are cumulative over the tuple's connections (<see cref="Resets"/> too: the kernel renews only a flow without any);
/// the current connection's are <see cref="CurrentPackets"/> and <see cref="CurrentFins"/>. A reader copies the value
/// front to back, so one that sees the new word before the SYN's packet sees <see cref="CurrentPackets"/> at
/// <see cref="uint.MaxValue"/>: a value the kernel is still writing, to read again later.
/// </remarks>
[StructLayout(LayoutKind.Sequential, Size = Length)]
internal unsafe struct XdpFlowValue
{
    public const int Length = 64;
    public const int ScheduledOffset = 12;
    public const int PacketsOffset = 16;
    public const int BytesOffset = 24;
    public const int IncarnationOffset = 32;
    public const int FinsOffset = 40;
    public const int ResetsOffset = 48;
    public const int RenewalOffset = 56; // the renewal word: Renewals, FinsBase, Base
    public const int BaseOffset = 60;

    public fixed byte Macs[12]; // destination (real server) then source (director), as in the Ethernet header
    public uint Scheduled;          // kernel-made: destination id | the last SYN's IP length << 16
    public ulong Packets;           // every connection of the tuple the flow carried
    public ulong Bytes;
    public ulong Incarnation;       // kernel-made: bpf_ktime_get_ns() | 1 when made; 0 in a flow user space made
    public ulong Fins;              // every connection's
    public ulong Resets;            // every connection's (the kernel renews only a flow without any)
    public ushort Renewals;         // SYNs that reused the tuple and that the kernel kept on the flow's server (mod 2^16)
    public ushort FinsBase;         // low 16 bits of Fins when the current connection began
    public uint Base;               // low 32 bits of Packets through the current connection's SYN (if the kernel counted it)

    public static XdpFlowValue Create(MacAddress server, MacAddress director)
    {
        var value = default(XdpFlowValue);
        var macs = new Span<byte>(value.Macs, 12);
        server.Write(macs);
        director.Write(macs[MacAddress.Length..]);
        return value;
    }

    /// <summary>Gets the current connection's packets after its SYN (the kernel counted them since the last renewal, or since it made the flow).</summary>
    public readonly uint CurrentPackets => (uint)Packets - Base;

    /// <summary>Gets the current connection's FINs (the kernel counted them since the last renewal, or since it made the flow).</summary>
    public readonly ushort CurrentFins => (ushort)((ushort)Fins - FinsBase);
}
