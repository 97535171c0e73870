using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace LoadBalancing.Model;

/// <summary>
/// An IPv4 or IPv6 address held by value, so hot paths (packet parsing, scheduling, connection lookup)
/// never allocate an <see cref="IPAddress"/>.
/// </summary>
/// <remarks>
/// IPv4 addresses are stored in host byte order in the low 32 bits of <see cref="Value"/>; IPv6 addresses
/// use all 128 bits, most significant byte first as on the wire.
/// </remarks>
public readonly struct NetworkAddress : IEquatable<NetworkAddress>, IComparable<NetworkAddress>, ISpanFormattable
{
    private NetworkAddress(AddressFamily family, UInt128 value)
    {
        Family = family;
        Value = value;
    }

    /// <summary>The IPv4 any-address 0.0.0.0.</summary>
    public static NetworkAddress IPv4Any { get; } = new(AddressFamily.InterNetwork, UInt128.Zero);

    /// <summary>The IPv6 any-address ::.</summary>
    public static NetworkAddress IPv6Any { get; } = new(AddressFamily.InterNetworkV6, UInt128.Zero);

    /// <summary>Gets the address family: <see cref="AddressFamily.InterNetwork"/> or <see cref="AddressFamily.InterNetworkV6"/>.</summary>
    public AddressFamily Family { get; }

    /// <summary>Gets the address bits (host order; IPv4 in the low 32 bits).</summary>
    public UInt128 Value { get; }

    /// <summary>Gets a value indicating whether this is an IPv6 address.</summary>
    public bool IsIPv6 => Family == AddressFamily.InterNetworkV6;

    /// <summary>Gets the number of address bits: 32 or 128.</summary>
    public int BitLength => IsIPv6 ? 128 : 32;

    /// <summary>Gets the IPv4 address in host byte order. Only meaningful for IPv4.</summary>
    public uint IPv4Value => (uint)Value;

    /// <summary>Creates an IPv4 address from its host-order 32-bit value.</summary>
    /// <param name="hostOrder">The address, e.g. <c>0xC0A80101</c> for 192.168.1.1.</param>
    /// <returns>The address.</returns>
    public static NetworkAddress FromIPv4(uint hostOrder) => new(AddressFamily.InterNetwork, hostOrder);

    /// <summary>Creates an IPv6 address from its 128-bit value (first wire byte most significant).</summary>
    /// <param name="value">The address bits.</param>
    /// <returns>The address.</returns>
    public static NetworkAddress FromIPv6(UInt128 value) => new(AddressFamily.InterNetworkV6, value);

    /// <summary>Creates an address from 4 (IPv4) or 16 (IPv6) network-order bytes.</summary>
    /// <param name="bytes">The address bytes as on the wire.</param>
    /// <returns>The address.</returns>
    /// <exception cref="ArgumentException">The span is neither 4 nor 16 bytes long.</exception>
    public static NetworkAddress FromBytes(ReadOnlySpan<byte> bytes) => bytes.Length switch
    {
        4 => FromIPv4(BinaryPrimitives.ReadUInt32BigEndian(bytes)),
        16 => FromIPv6(BinaryPrimitives.ReadUInt128BigEndian(bytes)),
        _ => throw new ArgumentException("An address is 4 (IPv4) or 16 (IPv6) bytes long.", nameof(bytes)),
    };

    /// <summary>Converts an <see cref="IPAddress"/>; IPv4-mapped IPv6 addresses stay IPv6.</summary>
    /// <param name="address">The address to convert.</param>
    /// <returns>The address.</returns>
    public static NetworkAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> bytes = stackalloc byte[16];
        if (!address.TryWriteBytes(bytes, out var written))
        {
            throw new ArgumentException("The address could not be converted.", nameof(address));
        }

        return FromBytes(bytes[..written]);
    }

    /// <summary>Parses a dotted-quad IPv4 address or an IPv6 address (without brackets).</summary>
    /// <param name="text">The text to parse.</param>
    /// <param name="address">The parsed address.</param>
    /// <returns><see langword="true"/> if <paramref name="text"/> is an address.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out NetworkAddress address)
    {
        address = default;
        if (text.IsEmpty || !IPAddress.TryParse(text, out var ip))
        {
            return false;
        }

        // IPAddress.TryParse accepts forms such as "1" or "1.2" for IPv4; ipvsadm (inet_pton) does not.
        if (ip.AddressFamily == AddressFamily.InterNetwork && text.Count('.') != 3)
        {
            return false;
        }

        if (ip.AddressFamily == AddressFamily.InterNetworkV6 && (ip.ScopeId != 0 || text.Contains('%')))
        {
            return false;
        }

        address = FromIPAddress(ip);
        return true;
    }

    /// <summary>Parses an address, throwing <see cref="FormatException"/> when it is not one.</summary>
    /// <param name="text">The text to parse.</param>
    /// <returns>The address.</returns>
    public static NetworkAddress Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var address)
            ? address
            : throw new FormatException($"'{text}' is not an IPv4 or IPv6 address.");
    }

    /// <summary>Converts to an <see cref="IPAddress"/> (allocates).</summary>
    /// <returns>The address.</returns>
    public IPAddress ToIPAddress()
    {
        Span<byte> bytes = stackalloc byte[16];
        var length = WriteBytes(bytes);
        return new IPAddress(bytes[..length]);
    }

    /// <summary>Writes the network-order bytes of the address.</summary>
    /// <param name="destination">At least 4 (IPv4) or 16 (IPv6) bytes.</param>
    /// <returns>The number of bytes written.</returns>
    public int WriteBytes(Span<byte> destination)
    {
        if (IsIPv6)
        {
            BinaryPrimitives.WriteUInt128BigEndian(destination, Value);
            return 16;
        }

        BinaryPrimitives.WriteUInt32BigEndian(destination, IPv4Value);
        return 4;
    }

    /// <summary>
    /// Folds the address to 32 bits the way IPVS's hash schedulers do: the IPv4 address itself, or the XOR
    /// of the four 32-bit words of an IPv6 address (host order).
    /// </summary>
    /// <returns>The folded value.</returns>
    public uint Fold()
    {
        if (!IsIPv6)
        {
            return IPv4Value;
        }

        var v = Value;
        return (uint)(v >> 96) ^ (uint)(v >> 64) ^ (uint)(v >> 32) ^ (uint)v;
    }

    /// <summary>Keeps the first <paramref name="prefixLength"/> bits of the address and clears the rest.</summary>
    /// <param name="prefixLength">0..32 for IPv4, 0..128 for IPv6.</param>
    /// <returns>The masked address.</returns>
    public NetworkAddress Mask(int prefixLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, BitLength);
        if (prefixLength == BitLength)
        {
            return this;
        }

        if (prefixLength == 0)
        {
            return new NetworkAddress(Family, UInt128.Zero);
        }

        var mask = UInt128.MaxValue << (BitLength - prefixLength);
        if (!IsIPv6)
        {
            mask &= uint.MaxValue;
        }

        return new NetworkAddress(Family, Value & mask);
    }

    /// <inheritdoc/>
    public bool Equals(NetworkAddress other) => Family == other.Family && Value == other.Value;

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => obj is NetworkAddress other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine((int)Family, Value);

    /// <summary>Orders IPv4 before IPv6, then by address value.</summary>
    /// <param name="other">The address to compare with.</param>
    /// <returns>A signed comparison result.</returns>
    public int CompareTo(NetworkAddress other)
    {
        var byFamily = ((int)Family).CompareTo((int)other.Family);
        return byFamily != 0 ? byFamily : Value.CompareTo(other.Value);
    }

    /// <summary>Formats as a dotted quad or in RFC 5952 IPv6 text form (no brackets).</summary>
    /// <returns>The text form.</returns>
    public override string ToString() => ToIPAddress().ToString();

    /// <inheritdoc/>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <inheritdoc/>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (!IsIPv6)
        {
            var v = IPv4Value;
            return destination.TryWrite(provider, $"{v >> 24}.{(v >> 16) & 0xFF}.{(v >> 8) & 0xFF}.{v & 0xFF}", out charsWritten);
        }

        return ToIPAddress().TryFormat(destination, out charsWritten);
    }

    /// <summary>Equality.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether both are the same address.</returns>
    public static bool operator ==(NetworkAddress left, NetworkAddress right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether the addresses differ.</returns>
    public static bool operator !=(NetworkAddress left, NetworkAddress right) => !left.Equals(right);

    /// <summary>Ordering.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts first.</returns>
    public static bool operator <(NetworkAddress left, NetworkAddress right) => left.CompareTo(right) < 0;

    /// <summary>Ordering.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts last.</returns>
    public static bool operator >(NetworkAddress left, NetworkAddress right) => left.CompareTo(right) > 0;

    /// <summary>Ordering.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts first or equal.</returns>
    public static bool operator <=(NetworkAddress left, NetworkAddress right) => left.CompareTo(right) <= 0;

    /// <summary>Ordering.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    /// <returns>Whether <paramref name="left"/> sorts last or equal.</returns>
    public static bool operator >=(NetworkAddress left, NetworkAddress right) => left.CompareTo(right) >= 0;
}
