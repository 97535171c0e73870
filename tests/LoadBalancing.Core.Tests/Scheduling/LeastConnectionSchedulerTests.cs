using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.SchedulerScenarios;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class LeastConnectionSchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";

    [Fact]
    public void Pick_ActiveCountsAs256Inactive_LowerOverheadWins()
    {
        // List B, A. B: 1 active = 256; A: 100 inactive = 100 -> A. (With the "<<5" of the old comment, B = 32 would win.)
        var service = Create("lc", (A, 1), (B, 1));
        Dest(service, B).SetCountersForTesting(active: 1, inactive: 0);
        Dest(service, A).SetCountersForTesting(active: 0, inactive: 100);

        Assert.Equal([A], Picks(service, 1));
    }

    [Fact]
    public void Pick_BindingEachChoice_IgnoresWeightsAndNewestWinsTies()
    {
        // List C, B, A, all idle: ties go to the newest; each bind adds 256 to the chosen one.
        var service = Create("lc", (A, 1), (B, 5), (C, 100));

        Assert.Equal([C, B, A, C, B, A], PicksBindingActive(service, 6));
    }

    [Fact]
    public void Pick_WeightZeroAndOverloaded_Skipped()
    {
        var service = Create("lc", (A, 1), (B, 0), (C, 3));
        Dest(service, A).SetCountersForTesting(active: 50, inactive: 0);
        Dest(service, C).SetCountersForTesting(active: 0, inactive: 0, overloaded: true);

        Assert.Equal([A, A], Picks(service, 2));
    }

    [Fact]
    public void Pick_NoEligibleServer_ReturnsNull()
    {
        var service = Create("lc", (A, 0), (B, 2));
        Dest(service, B).SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal(["-"], Picks(service, 1));
        Assert.Equal(["-"], Picks(Create("lc"), 1));
    }

    [Fact]
    public void Pick_RandomListsAndUpdates_EqualsKernelLinearScan()
        => LeastLoadProperties.IndexedPickEqualsKernelScan("lc");

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("lc");
}
