using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.SchedulerScenarios;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class NeverQueueSchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";
    private const string D = "10.0.0.4";

    [Fact]
    public void Pick_IdleServers_FirstIdleWinsOverHigherWeight()
    {
        // List C(w1), B(w100), both without active connections: nq returns C at once (sed would take B).
        // Inactive connections do not make a server busy.
        var service = Create("nq", (B, 100), (C, 1));
        Dest(service, C).SetCountersForTesting(active: 0, inactive: 1000);

        Assert.Equal([C], Picks(service, 1));
        Assert.Equal([B], Picks(Create("sed", (B, 100), (C, 1)), 1));
    }

    [Fact]
    public void Pick_IdleServerLaterInList_BeatsLessLoadedBusyOnes()
    {
        // List D, C, B, A: D and C busy, B idle (weight 1), A idle: B, the first idle one.
        var service = Create("nq", (A, 50), (B, 1), (C, 100), (D, 100));
        Dest(service, D).SetCountersForTesting(active: 1, inactive: 0);
        Dest(service, C).SetCountersForTesting(active: 1, inactive: 0);

        Assert.Equal([B], Picks(service, 1));
    }

    [Fact]
    public void Pick_AllBusy_ShortestExpectedDelay()
    {
        // List C(w1, act 1), B(w4, act 5), A(w4, act 3): loads 2, 6, 4. B: 2*4 > 6*1 -> B. A: 6*4 > 4*4 -> A.
        var service = Create("nq", (A, 4), (B, 4), (C, 1));
        Dest(service, C).SetCountersForTesting(active: 1, inactive: 0);
        Dest(service, B).SetCountersForTesting(active: 5, inactive: 0);
        Dest(service, A).SetCountersForTesting(active: 3, inactive: 0);

        Assert.Equal([A], Picks(service, 1));
    }

    [Fact]
    public void Pick_IdleButWeightZeroOrOverloaded_Skipped()
    {
        var service = Create("nq", (A, 1), (B, 0), (C, 1));
        Dest(service, C).SetCountersForTesting(0, 0, overloaded: true);
        Dest(service, A).SetCountersForTesting(active: 7, inactive: 0);

        Assert.Equal([A], Picks(service, 1));
        Assert.Equal(["-"], Picks(Create("nq", (A, 0)), 1));
    }

    [Fact]
    public void Pick_BindingEachChoice_FillsIdleServersFirst()
    {
        // List C, B, A idle: C, B, A in turn (first idle each time), then sed over (2,2,2) with equal
        // weights: first in list.
        var service = Create("nq", (A, 1), (B, 1), (C, 1));

        Assert.Equal([C, B, A, C], PicksBindingActive(service, 4));
    }

    [Fact]
    public void Pick_RandomListsAndUpdates_EqualsKernelLinearScan()
        => LeastLoadProperties.IndexedPickEqualsKernelScan("nq");

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("nq");
}
