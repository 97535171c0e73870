using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.SchedulerScenarios;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class ShortestExpectedDelaySchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";

    [Fact]
    public void Pick_ReferenceVector_UsesActivePlusOne()
    {
        // (4+1)/50 < (10+1)/100 < (12+1)/100: B: 5*100 > 13*50? no; A: 5*100 > 11*50? no -> C.
        var service = Create("sed", (A, 100), (B, 100), (C, 50));
        Dest(service, C).SetCountersForTesting(active: 4, inactive: 200);
        Dest(service, B).SetCountersForTesting(active: 12, inactive: 0);
        Dest(service, A).SetCountersForTesting(active: 10, inactive: 50);

        Assert.Equal([C], Picks(service, 1));
    }

    [Fact]
    public void Pick_AllIdle_FirstWithHighestWeight()
    {
        // Inactive connections do not count: list C(w1), B(w3), A(w3); 1*3 > 1*1 -> B; A ties B -> B stays.
        var service = Create("sed", (A, 3), (B, 3), (C, 1));
        Dest(service, B).SetCountersForTesting(active: 0, inactive: 5000);

        Assert.Equal([B], Picks(service, 1));
    }

    [Fact]
    public void Pick_BindingEachChoice_FollowsExpectedDelay()
    {
        // List B(w2), A(w1); loads are act+1. (1,1): B. (2,1): 2*1 > 1*2? no -> B. (3,1): 3 > 2 -> A.
        // (3,2): 3 > 4? no -> B. (4,2): 4 > 4? no -> B. (5,2): 5 > 4 -> A.
        var service = Create("sed", (A, 1), (B, 2));

        Assert.Equal([B, B, A, B, B, A], PicksBindingActive(service, 6));
    }

    [Fact]
    public void Pick_WeightZeroAndOverloaded_NeverChosen()
    {
        var service = Create("sed", (A, 1), (B, 0), (C, 9));
        Dest(service, A).SetCountersForTesting(active: 100, inactive: 0);
        Dest(service, C).SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal([A], Picks(service, 1));
        Assert.Equal(["-"], Picks(Create("sed", (A, 0)), 1));
    }

    [Fact]
    public void Pick_RandomListsAndUpdates_EqualsKernelLinearScan()
        => LeastLoadProperties.IndexedPickEqualsKernelScan("sed");

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("sed");
}
