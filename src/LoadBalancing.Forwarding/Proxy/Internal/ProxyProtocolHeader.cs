using System.Buffers.Binary;
using System.Text;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>
/// Writes PROXY protocol headers (HAProxy <c>doc/proxy-protocol.txt</c>, sections 2.1 and 2.2) for a TCP
/// connection from a client to the virtual address the client connected to.
/// </summary>
internal static class ProxyProtocolHeader
{
    /// <summary>The longest v1 header: "PROXY TCP6 " + two 39-character addresses + two ports + separators + CRLF = 104 bytes; the spec allows 107.</summary>
    public const int MaxV1Length = 107;

    /// <summary>The v2 header for TCP over IPv6: 16 fixed bytes + 36 address bytes.</summary>
    public const int MaxV2Length = 16 + 36;

    /// <summary>The largest header of either version.</summary>
    public const int MaxLength = MaxV1Length;

    /// <summary>The v2 signature, <c>\r\n\r\n\0\r\nQUIT\n</c>, chosen so that no v1 or HTTP parser accepts it.</summary>
    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>Byte 13: version 2 in the high nibble, command PROXY (1) in the low one.</summary>
    private const byte V2VersionProxyCommand = 0x21;

    /// <summary>Byte 14: AF_INET (1) or AF_INET6 (2) in the high nibble, STREAM (1) in the low one.</summary>
    private const byte V2TcpOverIPv4 = 0x11;
    private const byte V2TcpOverIPv6 = 0x21;

    /// <summary>Writes the header and returns its length.</summary>
    /// <param name="version">V1 or V2.</param>
    /// <param name="client">The client's address.</param>
    /// <param name="clientPort">The client's port.</param>
    /// <param name="virtualAddress">The address the client connected to.</param>
    /// <param name="virtualPort">The port the client connected to.</param>
    /// <param name="destination">At least <see cref="MaxLength"/> bytes.</param>
    /// <returns>The number of bytes written; 0 for <see cref="ProxyProtocolVersion.None"/>.</returns>
    public static int Write(ProxyProtocolVersion version, NetworkAddress client, ushort clientPort, NetworkAddress virtualAddress, ushort virtualPort, Span<byte> destination)
        => version switch
        {
            ProxyProtocolVersion.V1 => WriteV1(client, clientPort, virtualAddress, virtualPort, destination),
            ProxyProtocolVersion.V2 => WriteV2(client, clientPort, virtualAddress, virtualPort, destination),
            _ => 0,
        };

    /// <summary>
    /// v1: <c>"PROXY" SP ("TCP4" | "TCP6") SP src SP dst SP sport SP dport CRLF</c>, addresses in inet_ntop form,
    /// ports in decimal without leading zeros.
    /// </summary>
    public static int WriteV1(NetworkAddress client, ushort clientPort, NetworkAddress virtualAddress, ushort virtualPort, Span<byte> destination)
    {
        Span<char> text = stackalloc char[MaxV1Length];
        var family = client.IsIPv6 ? "TCP6" : "TCP4";
        if (!text.TryWrite(System.Globalization.CultureInfo.InvariantCulture, $"PROXY {family} {client} {virtualAddress} {clientPort} {virtualPort}\r\n", out var written))
        {
            return 0;
        }

        return Encoding.ASCII.GetBytes(text[..written], destination);
    }

    /// <summary>
    /// v2: signature, 0x21 (v2, PROXY), 0x11 or 0x21 (TCP over IPv4 or IPv6), the address block length as a
    /// big-endian 16-bit number (12 or 36), then source address, destination address, source port and
    /// destination port, all in network byte order.
    /// </summary>
    public static int WriteV2(NetworkAddress client, ushort clientPort, NetworkAddress virtualAddress, ushort virtualPort, Span<byte> destination)
    {
        var ipv6 = client.IsIPv6;
        var addressLength = ipv6 ? 16 : 4;
        var blockLength = (2 * addressLength) + 4;
        V2Signature.CopyTo(destination);
        destination[12] = V2VersionProxyCommand;
        destination[13] = ipv6 ? V2TcpOverIPv6 : V2TcpOverIPv4;
        BinaryPrimitives.WriteUInt16BigEndian(destination[14..], (ushort)blockLength);
        var block = destination[16..];
        client.WriteBytes(block);
        virtualAddress.WriteBytes(block[addressLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(block[(2 * addressLength)..], clientPort);
        BinaryPrimitives.WriteUInt16BigEndian(block[((2 * addressLength) + 2)..], virtualPort);
        return 16 + blockLength;
    }
}
