using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class RoundRobinSchedulerTests
{
    [Fact]
    public void Pick_ServersAddedABC_StartsWithNewestAndCycles()
    {
        // ip_vs_rr: the cursor starts at the list head and the list is newest first (C, B, A).
        var service = Create("rr", ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1));

        Assert.Equal(
            ["10.0.0.3", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.2", "10.0.0.1"],
            Picks(service, 6));
    }

    [Fact]
    public void Pick_WeightZeroAndOverloaded_AreSkipped()
    {
        var service = Create("rr", ("10.0.0.1", 1), ("10.0.0.2", 0), ("10.0.0.3", 1));
        Dest(service, "10.0.0.3").SetCountersForTesting(active: 0, inactive: 0, overloaded: true);

        Assert.Equal(["10.0.0.1", "10.0.0.1", "10.0.0.1"], Picks(service, 3));
    }

    [Fact]
    public void Pick_NoEligibleServer_ReturnsNull()
    {
        var service = Create("rr", ("10.0.0.1", 0));

        Assert.Equal(["-", "-"], Picks(service, 2));
    }
}
