using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class WeightedFailoverSchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";

    [Fact]
    public void Pick_HighestWeight_FirstInListWinsTiesAndLoadIgnored()
    {
        // List C(2), B(5), A(5): strict ">" keeps B over A; B's load does not matter.
        var service = Create("fo", (A, 5), (B, 5), (C, 2));
        Dest(service, B).SetCountersForTesting(active: 10000, inactive: 0);

        Assert.Equal([B, B], Picks(service, 2));
    }

    [Fact]
    public void Pick_PrimaryOverloaded_FailsOverToNextHighest()
    {
        var service = Create("fo", (A, 5), (B, 5), (C, 2));
        Dest(service, B).SetCountersForTesting(0, 0, overloaded: true);
        Assert.Equal([A], Picks(service, 1));

        Dest(service, A).SetCountersForTesting(0, 0, overloaded: true);
        Assert.Equal([C], Picks(service, 1));
    }

    [Fact]
    public void Pick_OnlyWeightZeroOrNone_ReturnsNull()
    {
        Assert.Equal(["-"], Picks(Create("fo", (A, 0), (B, 0)), 1));
        Assert.Equal(["-"], Picks(Create("fo"), 1));
    }

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("fo");

    [Fact]
    public void Pick_RandomListsAndUpdates_EqualsKernelLinearScan()
        => LeastLoadProperties.IndexedPickEqualsKernelScan("fo");
}
