using CsCheck;
using LoadBalancing.Runtime;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.SchedulerScenarios;
using static LoadBalancing.Tests.Fakes.TestServices;

namespace LoadBalancing.Tests.Scheduling;

public sealed class PowerOfTwoChoicesSchedulerTests
{
    private const string A = "10.0.0.1";
    private const string B = "10.0.0.2";
    private const string C = "10.0.0.3";
    private const string D = "10.0.0.4";

    // List C(3), B(2), A(1): W = 6, draws in [0, 6]. A draw r lands on C for r <= 3, B for 4..5, A for 6.
    // C has one active connection (overhead 256), B and A none.
    [Theory]
    [InlineData(3, 3, C)] // both C: 3*256 > 3*256 is false -> choice 1
    [InlineData(3, 4, B)] // C vs B: w2*oh1 = 2*256 > w1*oh2 = 3*0 -> choice 2
    [InlineData(4, 3, B)] // B vs C: 3*0 > 2*256 is false -> choice 1
    [InlineData(5, 5, B)]
    [InlineData(6, 0, A)] // A vs C: 3*0 > 1*256 is false -> A
    [InlineData(0, 6, A)] // C vs A: 1*256 > 3*0 -> A
    public void Pick_ScriptedDraws_KernelChoiceArithmetic(long r1, long r2, string expected)
    {
        var random = new ScriptedRandom(r1, r2);
        var service = WithRandom("twos", random, (A, 1), (B, 2), (C, 3));
        Dest(service, C).SetCountersForTesting(active: 1, inactive: 0);

        Assert.Equal([expected], Picks(service, 1));
        Assert.Equal([(0L, 7L), (0L, 7L)], random.Calls);
    }

    [Fact]
    public void Pick_OverheadWrapsInInt_KernelKeepsLoadedChoice()
    {
        // ip_vs_dest_conn_overhead is an int: 2^23 active connections << 8 = 2^31 wraps to int.MinValue,
        // so w2*oh1 = 1*MinValue > 3*0 is false and the kernel keeps C.
        var service = WithRandom("twos", new ScriptedRandom(0, 6), (A, 1), (B, 2), (C, 3));
        Dest(service, C).SetCountersForTesting(active: 1 << 23, inactive: 0);

        Assert.Equal([C], Picks(service, 1));
    }

    [Fact]
    public void Pick_ProductWrapsInInt_KernelKeepsLoadedChoice()
    {
        // List C(1), A(512): W = 513. r1 = 0 -> C, r2 = 513 -> A. C has 2^15 active (overhead 2^23), A none:
        // w2*oh1 = 512 * 2^23 = 2^32 wraps to 0 in int, 0 > 1*0 is false -> C (64-bit maths would say A).
        var random = new ScriptedRandom(0, 513);
        var service = WithRandom("twos", random, (A, 512), (C, 1));
        Dest(service, C).SetCountersForTesting(active: 1 << 15, inactive: 0);

        Assert.Equal([C], Picks(service, 1));
        Assert.Equal([(0L, 514L), (0L, 514L)], random.Calls);
    }

    [Fact]
    public void Pick_OverloadedAndWeightZero_LeftOutOfTheDraw()
    {
        // C overloaded, D weight 0: W = 3 (B 2, A 1), draws in [0, 3]; 0 -> B, 3 -> A. Idle: choice 1.
        var random = new ScriptedRandom(3, 0);
        var service = WithRandom("twos", random, (A, 1), (B, 2), (C, 3), (D, 0));
        Dest(service, C).SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal([A], Picks(service, 1));
        Assert.Equal([(0L, 4L), (0L, 4L)], random.Calls);
    }

    [Fact]
    public void Pick_NoEligibleServer_ReturnsNullWithoutDrawing()
    {
        var random = new ScriptedRandom();
        var service = WithRandom("twos", random, (A, 0), (B, 1));
        Dest(service, B).SetCountersForTesting(0, 0, overloaded: true);

        Assert.Equal(["-"], Picks(service, 1));
        Assert.Empty(random.Calls);
    }

    [Fact]
    public void Pick_SeededRandom_IdleServerPreferredOverItsWeightShare()
    {
        // List D, C, B, A, weight 1 each: draws in [0, 4], A (last) gets 1/5 of them. A is idle and the others
        // busy, so A wins whenever either draw lands on it: 1 - (4/5)^2 = 0.36.
        var service = WithRandom("twos", new Random(12345), (A, 1), (B, 1), (C, 1), (D, 1));
        foreach (var busy in new[] { B, C, D })
        {
            Dest(service, busy).SetCountersForTesting(active: 10, inactive: 0);
        }

        const int n = 5000;
        var share = Picks(service, n).Count(p => p == A) / (double)n;

        Assert.InRange(share, 0.33, 0.39);
    }

    [Fact]
    public void Pick_RandomWeightsAndFlags_NeverWeightZeroOrOverloaded()
        => SchedulerProperties.NeverPicksWeightZeroOrOverloaded("twos");

    [Fact]
    public void Pick_IndexedDraws_EqualKernelWalksAfterAnyChanges()
    {
        // The Fenwick-tree lookup must land where the kernel's two walks land for the same draws, whatever
        // the weights, OVERLOAD flips, runtime weight edits and list changes in between.
        var server = Gen.Select(Gen.OneOf(Gen.Int[0, 3], Gen.Int[0, 65535]), Gen.Int[0, 5], Gen.Int[0, 600], Gen.Int[0, 3].Select(x => x == 0));
        var step = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 1000], server);
        Gen.Select(server.Array[0, 40], step.Array[0, 30], Gen.Int).Sample(
            (servers, steps, seed) =>
            {
                var random = new RecordingRandom(seed);
                var service = WithRandom("twos", random, [.. servers.Select((s, i) => ($"10.3.{i / 250}.{(i % 250) + 1}", s.Item1))]);
                var list = service.Destinations;
                for (var i = 0; i < servers.Length; i++)
                {
                    Dest(service, $"10.3.{i / 250}.{(i % 250) + 1}").SetCountersForTesting(servers[i].Item2, servers[i].Item3, overloaded: servers[i].Item4);
                }

                AssertSameAsKernel(service, random);
                foreach (var (kind, target, s) in steps)
                {
                    list = service.Destinations;
                    if (list.Length == 0)
                    {
                        break;
                    }

                    var dest = list[target % list.Length];
                    if (kind == 0)
                    {
                        dest.SetCountersForTesting(s.Item2, s.Item3, overloaded: s.Item4);
                    }
                    else
                    {
                        service.SetWeight(dest, s.Item1);
                    }

                    AssertSameAsKernel(service, random);
                }
            },
            iter: 300,
            threads: 1);
    }

    [Fact]
    public void Pick_WeightSumWrapsInInt_FallsBackToKernelWalks()
    {
        // 40 000 servers of weight 65535 sum past int.MaxValue: the kernel's int sum wraps, and only its literal
        // walk reproduces the choice. Whatever it is, it must equal the transcription for the same draws.
        var servers = Enumerable.Range(0, 40000).Select(i => ($"10.4.{i / 250}.{(i % 250) + 1}", 65535)).ToArray();
        var random = new RecordingRandom(99);
        var service = WithRandom("twos", random, servers);
        for (var n = 0; n < 5; n++)
        {
            AssertSameAsKernel(service, random);
        }
    }

    private static void AssertSameAsKernel(VirtualServiceState service, RecordingRandom random)
    {
        var request = Request();
        random.Draws.Clear();
        var actual = service.Schedule(in request);
        if (random.Draws.Count == 0)
        {
            Assert.DoesNotContain(service.Destinations, d => d.Weight > 0 && !d.IsOverloaded);
            Assert.Null(actual);
            return;
        }

        Assert.Equal(2, random.Draws.Count);
        var expected = KernelScan.TwoChoices(service.Destinations, random.Draws[0], random.Draws[1]);
        Assert.Same(expected, actual);
    }

    /// <summary>A seeded <see cref="Random"/> that records what <see cref="NextInt64(long, long)"/> returned, as the kernel's int sees it.</summary>
    private sealed class RecordingRandom(int seed) : Random(seed)
    {
        public List<int> Draws { get; } = [];

        public override long NextInt64(long minValue, long maxValue)
        {
            var value = base.NextInt64(minValue, maxValue);
            Draws.Add(unchecked((int)(uint)value));
            return value;
        }
    }
}
