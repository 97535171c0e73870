using LoadBalancing.Model;
using LoadBalancing.Runtime;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class SourceHashingSchedulerTests
{
    // lvs-reference §3.2 nat-portmap: .53 w1, .54 w1, .55 w2 added in that order → list .55, .54, .53; each server
    // takes `weight` consecutive buckets, so the table repeats .55 .55 .54 .53 and bucket b holds [b mod 4].
    // Keys are hash_32(port + ntohl(saddr), 8) (Linux 6.x), computed by hand/calculator:
    //   198.51.100.7 (0xC6336407), port 0      → 171 → .53   (reference, old hash: 215 → .53)
    //   198.51.100.7:40000 with sh-port       →  79 → .53   (old: 23 → .53)
    //   198.51.100.8:40000 with sh-port       → 176 → .55   (old: 200 → .55)
    //   203.0.113.99:53535 with sh-port       →  45 → .55   (old: 226 → .54 — the vectors differ here)
    [Theory]
    [InlineData("198.51.100.7", 0, SchedulerFlags.None, "10.0.0.53")]
    [InlineData("198.51.100.7", 40000, SchedulerFlags.Port, "10.0.0.53")]
    [InlineData("198.51.100.8", 40000, SchedulerFlags.Port, "10.0.0.55")]
    [InlineData("203.0.113.99", 53535, SchedulerFlags.Port, "10.0.0.55")]
    public void Pick_NatPortmapVectors_MatchHash32Keys(string client, int port, SchedulerFlags flags, string expected)
    {
        var service = Portmap(flags);

        Assert.Equal(expected, Pick(service, client, (ushort)port));
    }

    [Fact]
    public void Pick_WithoutPortFlag_IgnoresSourcePort()
    {
        var service = Portmap(SchedulerFlags.None);

        Assert.Equal(Pick(service, "198.51.100.8", 1), Pick(service, "198.51.100.8", 40000));
        Assert.Equal("10.0.0.55", Pick(service, "198.51.100.8", 40000)); // 0xC6336408 alone → key 12 → .55
        Assert.Equal("10.0.0.53", Pick(service, "198.51.100.7", 40000));
    }

    [Fact]
    public void Pick_IPv6Client_FoldsAddress()
    {
        // 2001:db8::1 folds to 0x20010DB9 → key 63 → bucket 63 mod 4 = 3 → .53.
        Assert.Equal("10.0.0.53", Pick(Portmap(SchedulerFlags.None), "2001:db8::1", 0));
    }

    [Fact]
    public void Pick_HashedServerQuiescedWithoutFallback_ReturnsNull()
    {
        var service = Portmap(SchedulerFlags.None);
        service.SetWeight(Dest(service, "10.0.0.53"), 0); // weight 0 still gets one bucket: same layout

        Assert.Equal("-", Pick(service, "198.51.100.7", 0));
    }

    [Fact]
    public void Pick_HashedServerUnavailableWithFallback_ProbesFromTwiceTheKey()
    {
        // Probe k looks at bucket ((k + 171) mod 256 + 171) & 255 = 86 + k: bucket 86 holds .54.
        var quiesced = Portmap(SchedulerFlags.Fallback);
        quiesced.SetWeight(Dest(quiesced, "10.0.0.53"), 0);
        var overloaded = Portmap(SchedulerFlags.Fallback);
        Dest(overloaded, "10.0.0.53").SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal("10.0.0.54", Pick(quiesced, "198.51.100.7", 0));
        Assert.Equal("10.0.0.54", Pick(overloaded, "198.51.100.7", 0));
    }

    [Fact]
    public void Pick_FallbackAndEveryServerUnavailable_ReturnsNull()
    {
        var service = Create("sh", SchedulerFlags.Fallback, ("10.0.0.1", 0), ("10.0.0.2", 0));

        Assert.Equal("-", Pick(service, "198.51.100.7", 0));
    }

    [Fact]
    public void Pick_FlagsChangedByEdit_AreReadAtPickTime()
    {
        // 198.51.100.7:2 → key 171 (.53) without sh-port; with it, hash_32(0xC6336409, 8) = 110 → bucket 110 mod 4 = 2 → .54.
        var service = Portmap(SchedulerFlags.None);
        Assert.Equal("10.0.0.53", Pick(service, "198.51.100.7", 2));

        service.Apply(service.Config with { SchedulerFlags = SchedulerFlags.Port }, LoadBalancing.Scheduling.SchedulerRegistry.Default, TimeProvider.System);

        Assert.Equal("10.0.0.54", Pick(service, "198.51.100.7", 2));
    }

    private static VirtualServiceState Portmap(SchedulerFlags flags)
        => Create("sh", flags, ("10.0.0.53", 1), ("10.0.0.54", 1), ("10.0.0.55", 2));

    private static string Pick(VirtualServiceState service, string client, ushort port)
    {
        var request = Request(client, port);
        return service.Schedule(in request)?.Address.ToString() ?? "-";
    }
}
