using System.Buffers.Binary;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>
/// rtnetlink neighbour messages (linux/netlink.h, linux/rtnetlink.h, linux/neighbour.h): the dump request and the
/// parser of <c>RTM_NEWNEIGH</c> answers. Netlink headers are in host byte order (little-endian here), addresses
/// in network order.
/// </summary>
internal static class NeighbourMessages
{
    public const int HeaderLength = 16;   // struct nlmsghdr
    public const int NdMsgLength = 12;    // struct ndmsg
    public const ushort NlmsgError = 2;
    public const ushort NlmsgDone = 3;
    public const ushort RtmNewNeigh = 28;
    public const ushort RtmGetNeigh = 30;
    public const ushort NlmFRequest = 0x01;
    public const ushort NlmFDump = 0x300; // NLM_F_ROOT | NLM_F_MATCH
    public const ushort NdaDst = 1;
    public const ushort NdaLladdr = 2;

    /// <summary>An <c>RTM_GETNEIGH</c> dump request for every family.</summary>
    public static byte[] DumpRequest(uint sequence)
    {
        var message = new byte[HeaderLength + NdMsgLength];
        BinaryPrimitives.WriteUInt32LittleEndian(message, (uint)message.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(4), RtmGetNeigh);
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(6), NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(message.AsSpan(8), sequence);

        // ndmsg.ndm_family = AF_UNSPEC (0): IPv4 and IPv6 neighbours.
        return message;
    }

    /// <summary>
    /// Parses one datagram of a dump answer, adding each neighbour to <paramref name="entries"/>. Returns
    /// <see langword="true"/> when the dump is complete (<c>NLMSG_DONE</c> or an error).
    /// </summary>
    public static bool Parse(ReadOnlySpan<byte> datagram, List<NeighbourEntry> entries, out int error)
    {
        error = 0;
        while (datagram.Length >= HeaderLength)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(datagram);
            if (length < HeaderLength || length > datagram.Length)
            {
                error = -1;
                return true;
            }

            var type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[4..]);
            var body = datagram[HeaderLength..length];
            switch (type)
            {
                case NlmsgDone:
                    return true;
                case NlmsgError:
                    error = body.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(body) : -1;
                    return true;
                case RtmNewNeigh when body.Length >= NdMsgLength:
                    if (ParseNeighbour(body) is { } entry)
                    {
                        entries.Add(entry);
                    }

                    break;
            }

            var aligned = Align(length);
            if (aligned >= datagram.Length)
            {
                break;
            }

            datagram = datagram[aligned..];
        }

        return false;
    }

    private static NeighbourEntry? ParseNeighbour(ReadOnlySpan<byte> body)
    {
        var interfaceIndex = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        var state = (NeighbourState)BinaryPrimitives.ReadUInt16LittleEndian(body[8..]);
        NetworkAddress? address = null;
        MacAddress? mac = null;
        var attributes = body[NdMsgLength..];
        while (attributes.Length >= 4)
        {
            var length = BinaryPrimitives.ReadUInt16LittleEndian(attributes);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(attributes[2..]);
            if (length < 4 || length > attributes.Length)
            {
                break;
            }

            var payload = attributes[4..length];
            if (type == NdaDst && payload.Length is 4 or 16)
            {
                address = NetworkAddress.FromBytes(payload);
            }
            else if (type == NdaLladdr && payload.Length == MacAddress.Length)
            {
                mac = MacAddress.Read(payload);
            }

            var aligned = Align(length);
            attributes = aligned >= attributes.Length ? [] : attributes[aligned..];
        }

        return address is { } a ? new NeighbourEntry(interfaceIndex, a, mac, state) : null;
    }

    private static int Align(int length) => (length + 3) & ~3;
}
