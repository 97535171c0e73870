using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Tests.Scheduling;

public sealed class IpvsHashTests
{
    [Theory]
    [InlineData(1u, 8, 0x61u)] // 0x61C88647 >> 24
    [InlineData(2u, 8, 0xC3u)] // 0xC3910C8E >> 24
    [InlineData(1u, 10, 0x187u)] // 0x61C88647 >> 22
    [InlineData(0u, 8, 0u)]
    public void Hash32_SmallValues_TakeTopBitsOfGoldenRatioProduct(uint value, int bits, uint expected)
        => Assert.Equal(expected, IpvsHash.Hash32(value, bits));

    [Fact]
    public void Maglev_ServerAddress_MatchesReferenceOffset()
    {
        // lvs-reference §3.2: [2001:db8:10::101]:443 has offset 3104 and skip 1491 in a 4093-slot table.
        var address = NetworkAddress.Parse("2001:db8:10::101");

        Assert.Equal(3104u, IpvsHash.Maglev(address, 443, IpvsHash.MaglevKey1) % 4093);
        Assert.Equal(1491u, (IpvsHash.Maglev(address, 443, IpvsHash.MaglevKey2) % 4092) + 1);
    }
}
