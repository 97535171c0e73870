using System.Buffers.Binary;
using LoadBalancing.Connections;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// Reads Ethernet II, IPv4/IPv6 and TCP/UDP/SCTP headers in place. Allocates nothing and never throws for frame
/// content: every problem is a <see cref="FrameParseResult"/>.
/// </summary>
internal static class FrameParser
{
    public const int EthernetHeaderLength = 14;
    public const ushort EtherTypeIPv4 = 0x0800;
    public const ushort EtherTypeIPv6 = 0x86DD;

    private const int IPv4MinHeaderLength = 20;
    private const int IPv6HeaderLength = 40;
    private const int TcpMinHeaderLength = 20;
    private const int UdpHeaderLength = 8;

    // SCTP common header (12) plus the first chunk's type/flags/length (4).
    private const int SctpMinLength = 16;

    // IPv6 extension headers that may precede the transport header (RFC 8200 §4.1). Walking is bounded so a
    // crafted chain cannot keep a worker busy.
    private const byte HopByHop = 0;
    private const byte Routing = 43;
    private const byte FragmentHeader = 44;
    private const byte DestinationOptions = 60;
    private const int MaxExtensionHeaders = 8;
    private const byte IcmpV4 = 1;
    private const byte IcmpV6 = 58;

    public static FrameParseResult Parse(ReadOnlySpan<byte> frame, out ParsedFrame parsed)
    {
        parsed = default;
        if (frame.Length < EthernetHeaderLength)
        {
            return FrameParseResult.Malformed;
        }

        parsed.Destination = MacAddress.Read(frame);
        parsed.EtherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var ip = frame[EthernetHeaderLength..];
        return parsed.EtherType switch
        {
            EtherTypeIPv4 => ParseIPv4(ip, ref parsed),
            EtherTypeIPv6 => ParseIPv6(ip, ref parsed),
            _ => FrameParseResult.NotIp,
        };
    }

    private static FrameParseResult ParseIPv4(ReadOnlySpan<byte> ip, ref ParsedFrame parsed)
    {
        if (ip.Length < IPv4MinHeaderLength || ip[0] >> 4 != 4)
        {
            return FrameParseResult.Malformed;
        }

        var headerLength = (ip[0] & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);

        // The frame may be longer than the packet (Ethernet pads to 60 bytes), never shorter.
        if (headerLength < IPv4MinHeaderLength || totalLength < headerLength || totalLength > ip.Length
            || InternetChecksum(ip[..headerLength]) != 0)
        {
            return FrameParseResult.Malformed;
        }

        // Fragment offset (13 bits) or More Fragments (0x2000): only the first fragment carries the ports.
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x3FFF) != 0)
        {
            return FrameParseResult.Fragment;
        }

        var source = NetworkAddress.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(ip[12..]));
        var destination = NetworkAddress.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(ip[16..]));
        return ParseTransport(ip[9], ip[headerLength..totalLength], source, destination, totalLength, ref parsed);
    }

    private static FrameParseResult ParseIPv6(ReadOnlySpan<byte> ip, ref ParsedFrame parsed)
    {
        if (ip.Length < IPv6HeaderLength || ip[0] >> 4 != 6)
        {
            return FrameParseResult.Malformed;
        }

        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);

        // Payload length 0 means a jumbogram (RFC 2675), which Ethernet cannot carry.
        var totalLength = IPv6HeaderLength + payloadLength;
        if (payloadLength == 0 || totalLength > ip.Length)
        {
            return FrameParseResult.Malformed;
        }

        var source = NetworkAddress.FromIPv6(BinaryPrimitives.ReadUInt128BigEndian(ip[8..]));
        var destination = NetworkAddress.FromIPv6(BinaryPrimitives.ReadUInt128BigEndian(ip[24..]));
        var next = ip[6];
        var offset = IPv6HeaderLength;
        for (var i = 0; i < MaxExtensionHeaders; i++)
        {
            switch (next)
            {
                case HopByHop or Routing or DestinationOptions:
                    // Length in 8-octet units, not counting the first 8 octets.
                    if (offset + 8 > totalLength)
                    {
                        return FrameParseResult.Malformed;
                    }

                    var length = (ip[offset + 1] + 1) * 8;
                    next = ip[offset];
                    offset += length;
                    if (offset > totalLength)
                    {
                        return FrameParseResult.Malformed;
                    }

                    continue;
                case FragmentHeader:
                    return FrameParseResult.Fragment;
                default:
                    return ParseTransport(next, ip[offset..totalLength], source, destination, totalLength, ref parsed);
            }
        }

        return FrameParseResult.UnsupportedProtocol;
    }

    /// <summary>
    /// ICMP errors the way <c>ip_vs_in_icmp</c>/<c>ip_vs_in_icmp_v6</c> (Linux 6.x ip_vs_core.c) take them: IPv4
    /// destination unreachable (incl. fragmentation needed), source quench and time exceeded; every ICMPv6 error
    /// (types below 128, incl. packet too big). The embedded header must be followed by at least the 8 bytes that
    /// carry the ports; an embedded non-first fragment has none.
    /// </summary>
    private static FrameParseResult ParseIcmpError(bool v6, ReadOnlySpan<byte> icmp, int ipLength, ref ParsedFrame parsed)
    {
        const int IcmpHeaderLength = 8;
        if (icmp.Length < IcmpHeaderLength)
        {
            return FrameParseResult.Malformed;
        }

        var type = icmp[0];
        var isError = v6 ? type < 128 : type is 3 or 4 or 11;
        if (!isError)
        {
            return FrameParseResult.UnsupportedProtocol;
        }

        var inner = icmp[IcmpHeaderLength..];
        NetworkAddress source, destination;
        byte protocol;
        int headerLength;
        if (v6)
        {
            if (inner.Length < IPv6HeaderLength || inner[0] >> 4 != 6)
            {
                return FrameParseResult.Malformed;
            }

            headerLength = IPv6HeaderLength;
            protocol = inner[6];
            source = NetworkAddress.FromIPv6(BinaryPrimitives.ReadUInt128BigEndian(inner[8..]));
            destination = NetworkAddress.FromIPv6(BinaryPrimitives.ReadUInt128BigEndian(inner[24..]));
        }
        else
        {
            if (inner.Length < IPv4MinHeaderLength || inner[0] >> 4 != 4)
            {
                return FrameParseResult.Malformed;
            }

            headerLength = (inner[0] & 0x0F) * 4;
            if (headerLength < IPv4MinHeaderLength)
            {
                return FrameParseResult.Malformed;
            }

            if ((BinaryPrimitives.ReadUInt16BigEndian(inner[6..]) & 0x1FFF) != 0)
            {
                return FrameParseResult.Fragment;
            }

            protocol = inner[9];
            source = NetworkAddress.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(inner[12..]));
            destination = NetworkAddress.FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(inner[16..]));
        }

        if ((ServiceProtocol)protocol is not (ServiceProtocol.Tcp or ServiceProtocol.Udp or ServiceProtocol.Sctp))
        {
            return FrameParseResult.UnsupportedProtocol;
        }

        if (inner.Length < headerLength + 8)
        {
            return FrameParseResult.Malformed;
        }

        var ports = inner[headerLength..];
        parsed.Packet = new PacketInfo
        {
            Protocol = (ServiceProtocol)protocol,
            SourceAddress = source,
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(ports),
            DestinationAddress = destination,
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(ports[2..]),
            Length = ipLength,
        };
        return FrameParseResult.IcmpError;
    }

    private static FrameParseResult ParseTransport(byte protocol, ReadOnlySpan<byte> l4, NetworkAddress source, NetworkAddress destination, int ipLength, ref ParsedFrame parsed)
    {
        if (protocol is IcmpV4 or IcmpV6)
        {
            return ParseIcmpError(protocol == IcmpV6, l4, ipLength, ref parsed);
        }

        var flags = TcpFlags.None;
        var chunk = SctpChunkType.Data;
        switch ((ServiceProtocol)protocol)
        {
            case ServiceProtocol.Tcp:
                if (l4.Length < TcpMinHeaderLength)
                {
                    return FrameParseResult.Malformed;
                }

                var dataOffset = (l4[12] >> 4) * 4;
                if (dataOffset < TcpMinHeaderLength || dataOffset > l4.Length)
                {
                    return FrameParseResult.Malformed;
                }

                // Only the bits IPVS's state machine looks at; CWR/ECE/URG are not part of TcpFlags.
                flags = (TcpFlags)(l4[13] & 0x1F);
                break;
            case ServiceProtocol.Udp:
                if (l4.Length < UdpHeaderLength)
                {
                    return FrameParseResult.Malformed;
                }

                var udpLength = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
                if (udpLength < UdpHeaderLength || udpLength > l4.Length)
                {
                    return FrameParseResult.Malformed;
                }

                break;
            case ServiceProtocol.Sctp:
                if (l4.Length < SctpMinLength)
                {
                    return FrameParseResult.Malformed;
                }

                chunk = (SctpChunkType)l4[12];
                break;
            default:
                return FrameParseResult.UnsupportedProtocol;
        }

        parsed.Packet = new PacketInfo
        {
            Protocol = (ServiceProtocol)protocol,
            SourceAddress = source,
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4),
            DestinationAddress = destination,
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]),
            TcpFlags = flags,
            SctpChunk = chunk,
            Length = ipLength,
        };
        return FrameParseResult.Ok;
    }

    /// <summary>RFC 1071 one's-complement sum; 0 over a header that includes its checksum means the header is intact.</summary>
    internal static ushort InternetChecksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (i < data.Length)
        {
            sum += (uint)data[i] << 8;
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
