using System.Buffers.Binary;
using System.Text;

namespace LoadBalancing.Health.Probes;

/// <summary>Builds a DNS query and checks the reply header (RFC 1035 §4.1), the part keepalived's DNS_CHECK looks at.</summary>
internal static class DnsMessage
{
    public const int HeaderLength = 12;

    // Flags word: QR is bit 15, RD bit 8, RCODE the low 4 bits.
    private const ushort QrFlag = 0x8000;
    private const ushort RdFlag = 0x0100;

    /// <summary>Writes a recursive query for one name; returns the length, or -1 when the name is invalid.</summary>
    public static int WriteQuery(Span<byte> destination, ushort id, string name, ushort type)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, id);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], RdFlag);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], 1); // QDCOUNT
        destination[6..HeaderLength].Clear(); // ANCOUNT, NSCOUNT, ARCOUNT
        var offset = HeaderLength;
        foreach (var label in name.TrimEnd('.').Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            var length = Encoding.ASCII.GetByteCount(label);
            if (length > 63 || offset + 1 + length > 255 + HeaderLength)
            {
                return -1;
            }

            destination[offset++] = (byte)length;
            offset += Encoding.ASCII.GetBytes(label, destination[offset..]);
        }

        destination[offset++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[offset..], type);
        BinaryPrimitives.WriteUInt16BigEndian(destination[(offset + 2)..], 1); // QCLASS IN
        return offset + 4;
    }

    /// <summary>Checks a reply: <see langword="null"/> when it is not a reply to <paramref name="id"/> at all (ignore it), else the verdict.</summary>
    public static ProbeResult? CheckReply(ReadOnlySpan<byte> reply, ushort id, bool requireAnswer)
    {
        if (reply.Length < HeaderLength || BinaryPrimitives.ReadUInt16BigEndian(reply) != id)
        {
            return null;
        }

        var flags = BinaryPrimitives.ReadUInt16BigEndian(reply[2..]);
        if ((flags & QrFlag) == 0)
        {
            return null;
        }

        var rcode = flags & 0xF;
        if (rcode != 0)
        {
            return ProbeResult.Down($"DNS RCODE {rcode}");
        }

        return requireAnswer && BinaryPrimitives.ReadUInt16BigEndian(reply[6..]) == 0
            ? ProbeResult.Down("DNS reply has no answer")
            : ProbeResult.Up();
    }
}
