using System.Buffers.Binary;
using System.Globalization;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>A 48-bit Ethernet address held by value (the first wire byte most significant), so the data path never allocates.</summary>
internal readonly record struct MacAddress(ulong Value)
{
    public const int Length = 6;

    public static MacAddress Read(ReadOnlySpan<byte> bytes)
        => new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(bytes) << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[2..]));

    public static MacAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(':', '-');
        if (parts.Length != Length)
        {
            throw new FormatException($"'{text}' is not a MAC address (six hex bytes separated by ':').");
        }

        ulong value = 0;
        foreach (var part in parts)
        {
            value = (value << 8) | byte.Parse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        }

        return new MacAddress(value);
    }

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[Length];
        Write(b);
        return string.Create(CultureInfo.InvariantCulture, $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}");
    }
}
