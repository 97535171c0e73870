using CsCheck;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.SchedulerScenarios;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class WeightedRoundRobinSchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";

    [Fact]
    public void Pick_SwitchedToWrrWithA4B3C2_FollowsKernelCycle()
    {
        // List C, B, A; init_service: di = 1, mw = 4, cw = 4. Passes cw = 4: A; 3: B A; 2: C B A; 1: C B A.
        var service = SwitchedTo("wrr", (A, 4), (B, 3), (C, 2));

        Assert.Equal([A, B, A, C, B, A, C, B, A, A, B, A, C, B, A, C, B, A], Picks(service, 18));
    }

    [Fact]
    public void Pick_SwitchedToWrrWithListABC_FollowsKernelCycle()
    {
        // Added C, B, A gives the list A(4), B(3), C(2): cw = 4: A; 3: A B; 2: A B C; 1: A B C.
        var service = SwitchedTo("wrr", (C, 2), (B, 3), (A, 4));

        Assert.Equal([A, A, B, A, B, C, A, B, C], Picks(service, 9));
    }

    [Fact]
    public void Pick_ServersAddedOneByOne_FirstPassRunsAtCwOne()
    {
        // Each -a runs ip_vs_wrr_dest_changed. Empty service: mw = cw = 0. +A(4): di 4, mw 1, cw 0 -> 1.
        // +B(3): di 1, mw 4, cw 1 kept. +C(2): cw 1 kept. So the first pass takes everyone (C B A), then the
        // cycle restarts at cw = mw = 4.
        var service = Create("wrr", (A, 4), (B, 3), (C, 2));

        Assert.Equal([C, B, A, A, B, A, C, B, A, C, B, A], Picks(service, 12));
    }

    [Fact]
    public void OnDestinationsChanged_BatchOfAdds_MatchesSeparateAdds()
    {
        var batch = Create("wrr", (A, 4), (B, 3), (C, 2));
        var separate = Create("wrr", (A, 4));
        Add(separate, B, 3);
        Add(separate, C, 2);

        Assert.Equal(Picks(separate, 30), Picks(batch, 30));
    }

    [Fact]
    public void Pick_WebDrPort443_SwitchedCycleOfSeven()
    {
        // lvs-reference §3.2: .11 w3, .12 w3, .13 w1, .14 w0; list .14 .13 .12 .11; mw = 3.
        var service = SwitchedTo("wrr", ("10.0.0.11", 3), ("10.0.0.12", 3), ("10.0.0.13", 1), ("10.0.0.14", 0));

        string[] cycle = ["10.0.0.12", "10.0.0.11", "10.0.0.12", "10.0.0.11", "10.0.0.13", "10.0.0.12", "10.0.0.11"];
        Assert.Equal([.. cycle, .. cycle], Picks(service, 14));
    }

    [Fact]
    public void Pick_WebDrPort443_AddedOneByOne_PartialPassThenCycle()
    {
        // +.11(3): di 3, mw 1, cw 1. +.12(3): cw (1/3)*3+1 = 1. +.13(1), +.14(0): di 1, mw 3, cw 1.
        var service = Create("wrr", ("10.0.0.11", 3), ("10.0.0.12", 3), ("10.0.0.13", 1), ("10.0.0.14", 0));

        Assert.Equal(
            ["10.0.0.13", "10.0.0.12", "10.0.0.11", "10.0.0.12", "10.0.0.11", "10.0.0.12", "10.0.0.11", "10.0.0.13", "10.0.0.12", "10.0.0.11"],
            Picks(service, 10));
    }

    [Fact]
    public void Pick_NatPortmap_SwitchedCycleOfTwelve()
    {
        var service = SwitchedTo("wrr", ("10.0.0.11", 5), ("10.0.0.12", 5), ("10.0.0.13", 2));

        Assert.Equal(
            ["10.0.0.12", "10.0.0.11", "10.0.0.12", "10.0.0.11", "10.0.0.12", "10.0.0.11",
             "10.0.0.13", "10.0.0.12", "10.0.0.11", "10.0.0.13", "10.0.0.12", "10.0.0.11"],
            Picks(service, 12));
    }

    [Fact]
    public void Pick_CommonDivisor_MaxWeightReducedByGcdMinusOne()
    {
        // List B(2), A(4): di = 2, mw = 4 - 1 = 3. cw 3: A; cw 1: B A; restart at 3.
        var service = SwitchedTo("wrr", (A, 4), (B, 2));

        Assert.Equal([A, B, A, A, B, A], Picks(service, 6));
    }

    [Fact]
    public void Pick_AfterWeightEdit_CursorToHeadAndCwKept()
    {
        // C, B, A = 2, 3, 4 switched: picks A (cw 4), B (cw 3). C -> 6: cl = head, di 1, mw 6, cw 3 kept.
        // cw 3: C B A; 2: C B A; 1: C B A; restart 6: C; 5: C; 4: C A; 3: C B A.
        var service = SwitchedTo("wrr", (A, 4), (B, 3), (C, 2));
        Assert.Equal([A, B], Picks(service, 2));

        service.SetWeight(Dest(service, C), 6);

        Assert.Equal([C, B, A, C, B, A, C, B, A, C, C, C, A, C, B, A], Picks(service, 16));
    }

    [Fact]
    public void Pick_AfterEditChangesGcd_CwRoundedToStep()
    {
        // B(3), A(6) switched: di 3, mw 4, cw 4 -> A. B -> 4: di 2, mw 5, cw 4 -> (4/2)*2+1 = 5, so the next
        // pass needs weight 5 and skips B (keeping cw 4 would have taken B first).
        var service = SwitchedTo("wrr", (A, 6), (B, 3));
        Assert.Equal([A], Picks(service, 1));

        service.SetWeight(Dest(service, B), 4);

        Assert.Equal([A, B, A, B, A, A, B, A, B, A], Picks(service, 10));
    }

    [Fact]
    public void Pick_NothingFoundInLastPass_StopsAtStartAndResumesAfterIt()
    {
        // C, B, A all weight 1: cw stays 1. Pick C, then all OVERLOAD: the pick started at C, restarts, and
        // stops when its last pass reaches C again, leaving the cursor on C; so after the flags clear the
        // next pick is B, not the head.
        var service = Create("wrr", (A, 1), (B, 1), (C, 1));
        Assert.Equal([C], Picks(service, 1));
        foreach (var dest in service.Destinations)
        {
            dest.SetCountersForTesting(0, 0, overloaded: true);
        }

        Assert.Equal(["-"], Picks(service, 1));

        foreach (var dest in service.Destinations)
        {
            dest.SetCountersForTesting(0, 0, overloaded: false);
        }

        Assert.Equal([B, A, C], Picks(service, 3));
    }

    [Fact]
    public void Pick_OverloadedServer_SkippedOthersKeepTheirTurns()
    {
        var service = SwitchedTo("wrr", (A, 2), (B, 1));
        Dest(service, A).SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal([B, B, B], Picks(service, 3));
    }

    [Fact]
    public void Pick_AllWeightsZeroOrEmpty_ReturnsNull()
    {
        Assert.Equal(["-", "-"], Picks(Create("wrr", (A, 0), (B, 0)), 2));
        Assert.Equal(["-"], Picks(Create("wrr"), 1));
    }

    [Fact]
    public void Pick_OverOneFullCycle_ProportionalToWeights()
    {
        Gen.Int[0, 6].Array[1, 6].Sample(
            weights =>
            {
                var servers = weights.Select((w, i) => ($"10.0.1.{i + 1}", w)).ToArray();
                var service = Create("wrr", servers);
                var gcd = weights.Where(w => w > 0).Aggregate(0, Gcd);
                if (gcd == 0)
                {
                    Assert.All(Picks(service, 5), p => Assert.Equal("-", p));
                    return;
                }

                // One cycle (cw = mw down to 1) takes each server w / gcd times. The sequence is periodic once
                // the first restart happened, which is within the first cycle's length of picks.
                var cycle = weights.Sum() / gcd;
                _ = Picks(service, cycle);
                var counts = Picks(service, cycle).CountBy(p => p).ToDictionary();
                for (var i = 0; i < weights.Length; i++)
                {
                    Assert.Equal(weights[i] / gcd, counts.GetValueOrDefault(servers[i].Item1));
                }
            },
            iter: 300,
            threads: 1);
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("wrr");
}
