using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.SchedulerScenarios;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class WeightedLeastConnectionSchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";

    [Fact]
    public void Pick_ReferenceVector_ChoosesLowestOverheadPerWeight()
    {
        // lvs-reference §3.2, list C, B, A: C oh 1224 w50, B oh 3072 w100, A oh 2610 w100.
        // B: 1224*100 > 3072*50? no. A: 1224*100 > 2610*50? no. -> C.
        var service = Create("wlc", (A, 100), (B, 100), (C, 50));
        Dest(service, C).SetCountersForTesting(active: 4, inactive: 200);
        Dest(service, B).SetCountersForTesting(active: 12, inactive: 0);
        Dest(service, A).SetCountersForTesting(active: 10, inactive: 50);

        Assert.Equal([C], Picks(service, 1));
    }

    [Fact]
    public void Pick_BindingEachChoice_SharesTwoToOne()
    {
        // List B(w2), A(w1). Overheads after each bind (B, A): 0,0 -> B; 256,0 -> A (256*1 > 0*2);
        // 256,256 -> B; 512,256 -> B (512 > 512? no); 768,256 -> A; then B, B, A again.
        var service = Create("wlc", (A, 1), (B, 2));

        Assert.Equal([B, A, B, B, A, B, B, A], PicksBindingActive(service, 8));
    }

    [Fact]
    public void Pick_EqualRatio_NewestWins()
    {
        // C 512/2 and B 256/1: 512*1 > 256*2 is false, so C (first in list) stays.
        var service = Create("wlc", (B, 1), (C, 2));
        Dest(service, C).SetCountersForTesting(active: 2, inactive: 0);
        Dest(service, B).SetCountersForTesting(active: 1, inactive: 0);

        Assert.Equal([C], Picks(service, 1));
    }

    [Fact]
    public void Pick_WeightZeroIdleAndOverloaded_NeverChosen()
    {
        // C weight 0 and idle, B overloaded and idle; A is busy but the only candidate.
        var service = Create("wlc", (A, 1), (B, 5), (C, 0));
        Dest(service, A).SetCountersForTesting(active: 1000, inactive: 1000);
        Dest(service, B).SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal([A, A], Picks(service, 2));
    }

    [Fact]
    public void Pick_OverloadClears_ServerReturns()
    {
        var service = Create("wlc", (A, 1), (B, 1));
        Dest(service, B).SetCountersForTesting(0, 0, overloaded: true);
        Dest(service, A).SetCountersForTesting(active: 5, inactive: 0);
        Assert.Equal([A], Picks(service, 1));

        Dest(service, B).SetCountersForTesting(0, 0, overloaded: false);

        Assert.Equal([B], Picks(service, 1));
    }

    [Fact]
    public void Pick_NoEligibleServer_ReturnsNull()
        => Assert.Equal(["-"], Picks(Create("wlc", (A, 0)), 1));

    [Fact]
    public void Pick_RandomListsAndUpdates_EqualsKernelLinearScan()
        => LeastLoadProperties.IndexedPickEqualsKernelScan("wlc");

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("wlc");
}
