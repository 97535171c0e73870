using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.SchedulerScenarios;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class WeightedOverflowSchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";

    [Fact]
    public void Pick_BindingEachChoice_OverflowsWhenActiveExceedsWeight()
    {
        // List B(1), A(3). A is eligible while act <= 3, so it takes 4 connections (act 0..3 at pick time),
        // then B takes 2, then nobody is left.
        var service = Create("ovf", (A, 3), (B, 1));

        Assert.Equal([A, A, A, A, B, B, "-"], PicksBindingActive(service, 7));
    }

    [Fact]
    public void Pick_EqualWeights_FirstInListWins()
    {
        var service = Create("ovf", (A, 2), (B, 2), (C, 1));

        Assert.Equal([B], Picks(service, 1));
    }

    [Fact]
    public void Pick_InactiveConnections_DoNotCount()
    {
        var service = Create("ovf", (A, 1), (B, 2));
        Dest(service, B).SetCountersForTesting(active: 2, inactive: 5000);

        Assert.Equal([B], Picks(service, 1));
    }

    [Fact]
    public void Pick_WeightZeroAndOverloaded_Skipped()
    {
        var service = Create("ovf", (A, 1), (B, 0), (C, 5));
        Dest(service, C).SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal([A], Picks(service, 1));
        Assert.Equal(["-"], Picks(Create("ovf", (A, 0)), 1));
    }

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("ovf");

    [Fact]
    public void Pick_RandomListsAndUpdates_EqualsKernelLinearScan()
        => LeastLoadProperties.IndexedPickEqualsKernelScan("ovf");
}
