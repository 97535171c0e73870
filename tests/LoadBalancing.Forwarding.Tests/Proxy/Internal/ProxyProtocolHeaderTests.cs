using System.Text;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Forwarding.Proxy.Internal;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Tests.Proxy.Internal;

/// <summary>Golden headers from HAProxy's doc/proxy-protocol.txt (sections 2.1 and 2.2).</summary>
public sealed class ProxyProtocolHeaderTests
{
    [Fact]
    public void WriteV1_IPv4_IsTheSpecExample()
    {
        // The spec's example line: "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n".
        var header = Write(ProxyProtocolVersion.V1, "192.168.0.1", 56324, "192.168.0.11", 443);

        Assert.Equal("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", Encoding.ASCII.GetString(header));
    }

    [Fact]
    public void WriteV1_IPv6_UsesTcp6AndCompressedAddresses()
    {
        var header = Write(ProxyProtocolVersion.V1, "2001:db8::1", 40000, "2001:db8:0:0:0:0:0:2", 80);

        Assert.Equal("PROXY TCP6 2001:db8::1 2001:db8::2 40000 80\r\n", Encoding.ASCII.GetString(header));
    }

    [Fact]
    public void WriteV1_LongestIPv6_FitsTheSpecMaximum()
    {
        var header = Write(ProxyProtocolVersion.V1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);

        Assert.Equal(104, header.Length);
        Assert.True(header.Length <= 107);
    }

    [Fact]
    public void WriteV2_IPv4_SignatureCommandFamilyLengthAddressesPorts()
    {
        var header = Write(ProxyProtocolVersion.V2, "192.0.2.1", 0x9C40, "198.51.100.7", 443);

        byte[] expected =
        [
            0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
            0x21, 0x11, 0x00, 0x0C,
            192, 0, 2, 1,
            198, 51, 100, 7,
            0x9C, 0x40,
            0x01, 0xBB,
        ];
        Assert.Equal(expected, header);
    }

    [Fact]
    public void WriteV2_IPv6_FamilyByte0x21AndLength36()
    {
        var header = Write(ProxyProtocolVersion.V2, "2001:db8::1", 1234, "2001:db8::2", 80);

        Assert.Equal(16 + 36, header.Length);
        Assert.Equal(new byte[] { 0x21, 0x21, 0x00, 0x24 }, header[12..16]);
        Assert.Equal(new byte[] { 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 }, header[16..32]);
        Assert.Equal(new byte[] { 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 }, header[32..48]);
        Assert.Equal(new byte[] { 0x04, 0xD2, 0x00, 0x50 }, header[48..52]);
    }

    [Fact]
    public void Write_None_WritesNothing()
        => Assert.Empty(Write(ProxyProtocolVersion.None, "192.0.2.1", 1, "192.0.2.2", 2));

    private static byte[] Write(ProxyProtocolVersion version, string client, ushort clientPort, string vip, ushort vport)
    {
        var buffer = new byte[ProxyProtocolHeader.MaxLength];
        var length = ProxyProtocolHeader.Write(version, NetworkAddress.Parse(client), clientPort, NetworkAddress.Parse(vip), vport, buffer);
        return buffer[..length];
    }
}
