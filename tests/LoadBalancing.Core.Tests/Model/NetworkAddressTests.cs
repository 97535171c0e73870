using System.Net;
using CsCheck;
using LoadBalancing.Model;

namespace LoadBalancing.Tests.Model;

public sealed class NetworkAddressTests
{
    [Theory]
    [InlineData("192.168.1.1", 0xC0A80101u)]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    public void Parse_IPv4_StoresHostOrderValue(string text, uint expected)
    {
        var address = NetworkAddress.Parse(text);

        Assert.False(address.IsIPv6);
        Assert.Equal(expected, address.IPv4Value);
        Assert.Equal(text, address.ToString());
    }

    [Theory]
    [InlineData("1")]
    [InlineData("1.2")]
    [InlineData("10.0.0.256")]
    [InlineData("fe80::1%eth0")]
    [InlineData("")]
    [InlineData("example.org")]
    public void TryParse_NotAnAddress_ReturnsFalse(string text)
    {
        Assert.False(NetworkAddress.TryParse(text, out _));
    }

    [Fact]
    public void Fold_IPv6_XorsTheFourWords()
    {
        var address = NetworkAddress.Parse("2001:db8:ffff::1");

        // 0x20010db8 ^ 0xffff0000 ^ 0 ^ 1
        Assert.Equal(0x20010db8u ^ 0xffff0000u ^ 1u, address.Fold());
    }

    [Fact]
    public void Fold_IPv4_IsTheAddress()
    {
        Assert.Equal(0xC0000201u, NetworkAddress.Parse("192.0.2.1").Fold());
    }

    [Theory]
    [InlineData("192.168.7.9", 24, "192.168.7.0")]
    [InlineData("192.168.7.9", 0, "0.0.0.0")]
    [InlineData("192.168.7.9", 32, "192.168.7.9")]
    [InlineData("2001:db8:1:2::99", 64, "2001:db8:1:2::")]
    [InlineData("2001:db8:1:2::99", 33, "2001:db8::")]
    public void Mask_KeepsPrefix(string address, int prefix, string expected)
    {
        Assert.Equal(NetworkAddress.Parse(expected), NetworkAddress.Parse(address).Mask(prefix));
    }

    [Fact]
    public void RoundTrip_IPAddressAndBytes_PreservesEveryAddress()
    {
        Gen.Select(Gen.Bool, Gen.UInt, Gen.ULong, Gen.ULong).Sample((v6, v4, hi, lo) =>
        {
            var address = v6 ? NetworkAddress.FromIPv6(new UInt128(hi, lo)) : NetworkAddress.FromIPv4(v4);
            Span<byte> bytes = stackalloc byte[16];
            var length = address.WriteBytes(bytes);

            Assert.Equal(address, NetworkAddress.FromBytes(bytes[..length]));
            Assert.Equal(address, NetworkAddress.FromIPAddress(address.ToIPAddress()));
            Assert.Equal(address, NetworkAddress.Parse(address.ToString()));
            Assert.Equal(address.ToIPAddress().ToString(), address.ToString());
        });
    }

    [Fact]
    public void FromIPAddress_MatchesIPAddressBytes()
    {
        var ip = IPAddress.Parse("10.1.2.3");

        Assert.Equal(NetworkAddress.FromIPv4(0x0A010203), NetworkAddress.FromIPAddress(ip));
    }
}
