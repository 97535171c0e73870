using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class DestinationHashingSchedulerTests
{
    // Servers added .1, .2, .3 → list .3, .2, .1, and bucket i holds list[i mod 3]. Buckets are
    // hash_32(ntohl(fold(daddr)), 8) = (v · 0x61C88647 mod 2^32) >> 24 (Linux 6.x), worked out by hand/calculator:
    // 192.0.2.10 (0xC000020A) → 162 → .3; 192.0.2.11 → 4 → .2; 192.0.2.13 → 200 → .1;
    // 2001:db8::2 folds to 0x20010DBA → 160 → .2. (The older `(v * 2654435761) & 255` would give 234 for .10.)
    [Theory]
    [InlineData("192.0.2.10", "10.0.0.3")]
    [InlineData("192.0.2.11", "10.0.0.2")]
    [InlineData("192.0.2.13", "10.0.0.1")]
    [InlineData("2001:db8::2", "10.0.0.2")]
    public void Pick_DestinationAddress_UsesGoldenRatioBucket(string destination, string expected)
    {
        var service = Create("dh", ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1));

        Assert.Equal(expected, Pick(service, destination));
    }

    [Fact]
    public void Pick_DifferentWeights_AreIgnoredForTheTable()
    {
        var service = Create("dh", ("10.0.0.1", 7), ("10.0.0.2", 1), ("10.0.0.3", 100));

        Assert.Equal("10.0.0.3", Pick(service, "192.0.2.10"));
        Assert.Equal("10.0.0.2", Pick(service, "192.0.2.11"));
        Assert.Equal("10.0.0.1", Pick(service, "192.0.2.13"));
    }

    [Fact]
    public void Pick_BucketServerWeightZeroOrOverloaded_ReturnsNullEvenWithFallbackFlag()
    {
        var service = Create("dh", SchedulerFlags.Fallback, ("10.0.0.1", 1), ("10.0.0.2", 0), ("10.0.0.3", 1));
        Dest(service, "10.0.0.3").SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal("-", Pick(service, "192.0.2.11"));
        Assert.Equal("-", Pick(service, "192.0.2.10"));
        Assert.Equal("10.0.0.1", Pick(service, "192.0.2.13"));
    }

    [Fact]
    public void Pick_NoServers_ReturnsNull()
        => Assert.Equal("-", Pick(Create("dh"), "192.0.2.10"));

    private static string Pick(VirtualServiceState service, string destination)
    {
        var request = new SchedulingRequest(ServiceProtocol.Tcp, NetworkAddress.Parse("203.0.113.1"), 40000, NetworkAddress.Parse(destination), 80);
        return service.Schedule(in request)?.Address.ToString() ?? "-";
    }
}
