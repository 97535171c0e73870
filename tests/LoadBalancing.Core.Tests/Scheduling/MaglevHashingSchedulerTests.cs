using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class MaglevHashingSchedulerTests
{
    // Vectors from lvs-reference §3.2, which we re-derived independently of this implementation (a separate
    // SipHash-1-3 written from lib/siphash.c, checked against the kernel's kunit vectors, and ip_vs_mh.c's
    // permutate/populate): x86-64 hsiphash, keys 2654435761 / 2654446892, M = 4093.
    [Fact]
    public void Build_ThreeEqualServers_GivesReferenceCountsAndFirstSlots()
    {
        var service = Create("mh", ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1));

        var table = MaglevHashingScheduler.Build(service.Destinations);

        Assert.Equal(1364, table.Count(d => d!.Address.ToString() == "10.0.0.1"));
        Assert.Equal(1364, table.Count(d => d!.Address.ToString() == "10.0.0.2"));
        Assert.Equal(1365, table.Count(d => d!.Address.ToString() == "10.0.0.3"));
        Assert.Equal(
            ["1", "2", "2", "3", "3", "1", "2", "3", "3", "1"],
            table.Take(10).Select(d => d!.Address.ToString()[^1..]));
    }

    [Theory]
    [InlineData("192.0.2.1", "10.0.0.3")] // hash 2891
    [InlineData("192.0.2.2", "10.0.0.2")] // hash 746
    [InlineData("198.51.100.9", "10.0.0.1")] // hash 667
    public void Pick_ReferenceClients_MapToReferenceServers(string client, string expected)
    {
        var service = Create("mh", ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1));

        Assert.Equal(expected, Pick(service, client, 40000));
    }

    [Fact]
    public void Build_IPv6WeightedServers_GivesReferenceCounts()
    {
        // Weights 1, 1, 2, 0: gcd 1, rshift 0, turns 1/1/2/0; the server added with weight 0 never gets a slot.
        var service = MultiSchedV6(SchedulerFlags.None);

        var table = MaglevHashingScheduler.Build(service.Destinations);

        Assert.Equal(1023, table.Count(d => d!.Address.ToString() == "2001:db8:10::101"));
        Assert.Equal(1023, table.Count(d => d!.Address.ToString() == "2001:db8:10::102"));
        Assert.Equal(2047, table.Count(d => d!.Address.ToString() == "2001:db8:10::103"));
        Assert.DoesNotContain(table, d => d!.Address.ToString() == "2001:db8:10::104");
    }

    [Fact]
    public void Pick_IPv6Clients_PortOnlyWithMhPort()
    {
        Assert.Equal("2001:db8:10::101", Pick(MultiSchedV6(SchedulerFlags.None), "2001:db8:ffff::1", 51000)); // hash 3919
        Assert.Equal("2001:db8:10::103", Pick(MultiSchedV6(SchedulerFlags.Port), "2001:db8:ffff::1", 51000)); // hash 1196
    }

    [Fact]
    public void OnDestinationsChanged_QuiescedServer_KeepsItsSlotsThroughLastWeight()
    {
        var service = Create("mh", ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1));
        var before = MaglevHashingScheduler.Build(service.Destinations);

        service.SetWeight(Dest(service, "10.0.0.3"), 0);

        Assert.Equal(before, MaglevHashingScheduler.Build(service.Destinations));
        Assert.Equal("-", Pick(service, "192.0.2.1", 0));
        Assert.Equal("10.0.0.2", Pick(service, "192.0.2.2", 0));
    }

    [Fact]
    public void Pick_HashedServerUnavailableWithFallback_ProbesRehashedSlots()
    {
        // 192.0.2.1 hashes to 2891 (10.0.0.3). Probe 0 re-hashes with offset (0 + 2891) mod 4093 added to the
        // folded address: hsiphash(0xC0000201 + 2891) mod 4093 = 2410, a 10.0.0.2 slot.
        var quiesced = Create("mh", SchedulerFlags.Fallback, ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1));
        quiesced.SetWeight(Dest(quiesced, "10.0.0.3"), 0);
        var overloaded = Create("mh", SchedulerFlags.Fallback, ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1));
        Dest(overloaded, "10.0.0.3").SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal("10.0.0.2", Pick(quiesced, "192.0.2.1", 0));
        Assert.Equal("10.0.0.2", Pick(overloaded, "192.0.2.1", 0));
    }

    [Fact]
    public void Pick_AllQuiescedWithFallback_ReturnsNull()
    {
        var service = Create("mh", SchedulerFlags.Fallback, ("10.0.0.1", 1), ("10.0.0.2", 1));
        service.SetWeight(Dest(service, "10.0.0.1"), 0);
        service.SetWeight(Dest(service, "10.0.0.2"), 0);

        Assert.Equal("-", Pick(service, "192.0.2.1", 0));
    }

    [Fact]
    public void Pick_NoServersOrOnlyNeverWeighted_ReturnsNull()
    {
        Assert.Equal("-", Pick(Create("mh"), "192.0.2.1", 0));
        Assert.Equal("-", Pick(Create("mh", SchedulerFlags.Fallback, ("10.0.0.1", 0)), "192.0.2.1", 0));
    }

    [Fact]
    public void Build_LargeWeights_ScaledByGcdAndShift()
    {
        // last weights 1000 and 3000: gcd 1000 → 1 and 3, 2 bits, no shift → 1 : 3 turns per round.
        // 4093 = 1023 rounds × 4 + 1, so the first-listed (newest) server gets the extra slot.
        var service = Create("mh", ("10.0.0.1", 1000), ("10.0.0.2", 3000));

        var table = MaglevHashingScheduler.Build(service.Destinations);

        Assert.Equal(1023, table.Count(d => d!.Address.ToString() == "10.0.0.1"));
        Assert.Equal(3070, table.Count(d => d!.Address.ToString() == "10.0.0.2"));
    }

    [Fact]
    public void Build_WeightsBeyondSixBits_AreShifted()
    {
        // last weights 1 and 200: gcd 1, fls(200) = 8 → rshift 2: turns 1 >> 2 = 0 → 1 (non-zero weight), 200 >> 2 = 50.
        // Per round 51 slots; 4093 = 80 × 51 + 13, and the newest server (.2, listed first) takes the 13 left over.
        var service = Create("mh", ("10.0.0.1", 1), ("10.0.0.2", 200));

        var table = MaglevHashingScheduler.Build(service.Destinations);

        Assert.Equal(80, table.Count(d => d!.Address.ToString() == "10.0.0.1"));
        Assert.Equal(4013, table.Count(d => d!.Address.ToString() == "10.0.0.2"));
    }

    private static VirtualServiceState MultiSchedV6(SchedulerFlags flags)
    {
        var config = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, NetworkAddress.Parse("2001:db8::100"), 443),
            Scheduler = "mh",
            SchedulerFlags = flags,
            RealServers =
            [
                Server("2001:db8:10::101", 1, 443),
                Server("2001:db8:10::102", 1, 443),
                Server("2001:db8:10::103", 2, 443),
                Server("2001:db8:10::104", 0, 443),
            ],
        };
        return VirtualServiceState.CreateDetached(config, SchedulerRegistry.Default, TimeProvider.System);
    }

    private static string Pick(VirtualServiceState service, string client, ushort port)
    {
        var request = Request(client, port);
        return service.Schedule(in request)?.Address.ToString() ?? "-";
    }
}
