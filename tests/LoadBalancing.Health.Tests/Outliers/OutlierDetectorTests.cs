using LoadBalancing.Health.Outliers;
using LoadBalancing.Health.Tests.Fakes;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Health.Tests.Outliers;

/// <summary>Outlier detection on fake time against a real <see cref="ServiceTable"/>, checked against gRPC A50 and Envoy's rules.</summary>
public sealed class OutlierDetectorTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void ReportFailure_FifthInARow_EjectsAtOnceForBaseTime()
    {
        var table = Table(10);
        using var detector = Detector(table, new OutlierDetectionOptions { SuccessRate = null });
        var changes = Record(detector);
        var d = table.Services[0].Destinations[0];

        Fail(detector, d, 4);
        detector.ReportSuccess(d); // a success in between resets the run
        Fail(detector, d, 4);
        Assert.Empty(changes);
        Assert.False(detector.IsEjected(d));

        Fail(detector, d, 1);
        var ejected = Assert.Single(changes);
        Assert.Equal((true, OutlierEjectionReason.ConsecutiveFailures, 1, TimeSpan.FromSeconds(30)), (ejected.IsEjected, ejected.Reason, ejected.EjectionCount, ejected.EjectionTime));
        Assert.True(detector.IsEjected(d));
    }

    [Fact]
    public void Sweep_EjectionTimeOver_ReturnsAtFirstSweepStrictlyAfterIt()
    {
        // A50: un-eject when now > ejection timestamp + min(base × multiplier, max(base, max ejection time)).
        var table = Table(10);
        using var detector = Detector(table, new OutlierDetectionOptions { SuccessRate = null, BaseEjectionTime = TimeSpan.FromSeconds(20) });
        var changes = Record(detector);
        var d = table.Services[0].Destinations[0];
        detector.Start();
        _time.Advance(TimeSpan.FromSeconds(5));
        Fail(detector, d, 5); // ejected at t=5 s for 20 s: until 25 s

        _time.Advance(TimeSpan.FromSeconds(5));  // sweep at 10 s
        _time.Advance(Interval);                  // sweep at 20 s
        Assert.True(detector.IsEjected(d));
        _time.Advance(Interval);                  // sweep at 30 s > 25 s
        Assert.False(detector.IsEjected(d));
        Assert.Equal([true, false], changes.Select(c => c.IsEjected));
        Assert.Equal((OutlierEjectionReason.EjectionTimeElapsed, TimeSpan.FromSeconds(30)), (changes[1].Reason, changes[1].Timestamp - _time.Start));
    }

    [Fact]
    public void Ejection_Repeated_TimeGrowsByBaseAndIsCappedAtMax()
    {
        var table = Table(10);
        var options = new OutlierDetectionOptions { SuccessRate = null, Interval = TimeSpan.FromSeconds(1), BaseEjectionTime = TimeSpan.FromSeconds(10), MaxEjectionTime = TimeSpan.FromSeconds(25) };
        using var detector = Detector(table, options);
        var changes = Record(detector);
        var d = table.Services[0].Destinations[0];
        detector.Start();

        for (var round = 0; round < 4; round++)
        {
            // Ejected again right after it returns (before the next sweep could decay the multiplier).
            Fail(detector, d, 5);
            while (detector.IsEjected(d))
            {
                _time.Advance(TimeSpan.FromSeconds(1));
            }
        }

        var ejections = changes.Where(c => c.IsEjected).ToArray();
        Assert.Equal([1, 2, 3, 4], ejections.Select(c => c.EjectionCount));
        Assert.Equal([10, 20, 25, 25], ejections.Select(c => (int)c.EjectionTime.TotalSeconds));

        // Each ejection really lasted its time, returned at the first 1 s sweep strictly after it.
        var returns = changes.Where(c => !c.IsEjected).ToArray();
        Assert.Equal([11, 21, 26, 26], ejections.Zip(returns, (e, r) => (int)(r.Timestamp - e.Timestamp).TotalSeconds));
    }

    [Fact]
    public void Sweep_InPoolWithoutFailures_MultiplierDecaysOnePerSweep()
    {
        var table = Table(10);
        using var detector = Detector(table, new OutlierDetectionOptions { SuccessRate = null, Interval = TimeSpan.FromSeconds(1), BaseEjectionTime = TimeSpan.FromSeconds(2) });
        var changes = Record(detector);
        var d = table.Services[0].Destinations[0];
        detector.Start();
        Fail(detector, d, 5);
        Seconds(3);         // back at 3 s, multiplier 1
        Fail(detector, d, 5); // multiplier 2: 4 s
        Seconds(5);         // back at 8 s, multiplier 2
        Seconds(2);         // two sweeps in the pool: multiplier 0
        Fail(detector, d, 5);
        Assert.Equal([1, 2, 1], changes.Where(c => c.IsEjected).Select(c => c.EjectionCount));
    }

    [Theory]
    [InlineData(20, 10, 2)]
    [InlineData(10, 10, 1)]
    [InlineData(10, 35, 3)]
    [InlineData(5, 10, 1)]   // one server may always be ejected (A50, Envoy)
    [InlineData(4, 100, 4)]
    [InlineData(3, 0, 1)]
    public void ReportFailure_AllServersFailing_EjectedNeverAboveMaxEjectionPercent(int servers, int maxPercent, int expected)
    {
        var table = Table(servers);
        using var detector = Detector(table, new OutlierDetectionOptions { SuccessRate = null, MaxEjectionPercent = maxPercent });
        foreach (var d in table.Services[0].Destinations)
        {
            Fail(detector, d, 7);
        }

        Assert.Equal(expected, table.Services[0].Destinations.Count(detector.IsEjected));
    }

    [Fact]
    public void Sweep_RandomTraffic_EjectedCountNeverAboveMaxEjectionPercent()
    {
        var table = Table(30);
        var options = new OutlierDetectionOptions
        {
            Interval = TimeSpan.FromSeconds(1),
            BaseEjectionTime = TimeSpan.FromSeconds(3),
            MaxEjectionPercent = 20,
            ConsecutiveFailures = 3,
            SuccessRate = new SuccessRateEjectionOptions { RequestVolume = 5, MinimumHosts = 3 },
            FailurePercentage = new FailurePercentageEjectionOptions { RequestVolume = 5, Threshold = 30 },
        };
        using var detector = Detector(table, options);
        var ejected = 0;
        var max = 0;
        detector.Changed += (_, c) => max = Math.Max(max, ejected += c.IsEjected ? 1 : -1);
        detector.Start();
        var random = new Random(7);
        var destinations = table.Services[0].Destinations;
        for (var step = 0; step < 3000; step++)
        {
            var d = destinations[random.Next(destinations.Length)];
            if (random.Next(100) < 40)
            {
                detector.ReportFailure(d, PassiveFailure.Refused);
            }
            else
            {
                detector.ReportSuccess(d);
            }

            if (step % 50 == 0)
            {
                _time.Advance(TimeSpan.FromMilliseconds(500));
            }
        }

        Assert.InRange(max, 2, 6); // never above 20 % of 30
    }

    [Fact]
    public void Sweep_SuccessRateOutlier_EjectedOthersKept()
    {
        // Rates 1, 1, 1, 1, 1, 0.5: mean 0.9167, population stdev 0.1863, threshold 0.9167 − 1.9 × 0.1863 = 0.5627.
        var table = Table(6);
        using var detector = Detector(table, new OutlierDetectionOptions { ConsecutiveFailures = 0, MaxEjectionPercent = 50 });
        var changes = Record(detector);
        detector.Start();
        var destinations = table.Services[0].Destinations;
        for (var i = 0; i < 5; i++)
        {
            Succeed(detector, destinations[i], 100);
        }

        Succeed(detector, destinations[5], 50);
        Fail(detector, destinations[5], 50);
        _time.Advance(Interval);

        var change = Assert.Single(changes);
        Assert.Equal((destinations[5], OutlierEjectionReason.SuccessRate), (change.Destination, change.Reason));
    }

    [Theory]
    [InlineData(1900, true)]   // rates 1 ×5 and 0.7: mean 0.95, stdev 0.1118, threshold 0.95 − 1.9 × 0.1118 = 0.7376 > 0.7
    [InlineData(2500, false)]  // threshold 0.95 − 2.5 × 0.1118 = 0.6705 < 0.7
    public void Sweep_SuccessRateAgainstStdevFactor_EjectedOnlyBelowThreshold(int stdevFactor, bool ejected)
    {
        var table = Table(6);
        using var detector = Detector(table, new OutlierDetectionOptions { ConsecutiveFailures = 0, MaxEjectionPercent = 50, SuccessRate = new SuccessRateEjectionOptions { StdevFactor = stdevFactor } });
        var changes = Record(detector);
        detector.Start();
        var destinations = table.Services[0].Destinations;
        for (var i = 0; i < 5; i++)
        {
            Succeed(detector, destinations[i], 100);
        }

        Succeed(detector, destinations[5], 70);
        Fail(detector, destinations[5], 30);
        _time.Advance(Interval);
        Assert.Equal(ejected, changes.Any(c => c.IsEjected && c.Destination == destinations[5]));
        Assert.DoesNotContain(changes, c => c.Destination != destinations[5]);
    }

    [Fact]
    public void Sweep_TooFewHostsWithVolume_SuccessRateDoesNothing()
    {
        var table = Table(6);
        using var detector = Detector(table, new OutlierDetectionOptions { ConsecutiveFailures = 0, MaxEjectionPercent = 50 });
        var changes = Record(detector);
        detector.Start();
        var destinations = table.Services[0].Destinations;
        for (var i = 0; i < 3; i++)
        {
            Succeed(detector, destinations[i], 100);
        }

        Succeed(detector, destinations[3], 99); // below request_volume 100 together with…
        Fail(detector, destinations[5], 100);  // …this one: only 4 hosts have volume, fewer than minimum_hosts 5
        _time.Advance(Interval);
        Assert.Empty(changes);
    }

    [Fact]
    public void Sweep_CountsOnlyTheLastInterval()
    {
        var table = Table(6);
        using var detector = Detector(table, new OutlierDetectionOptions { ConsecutiveFailures = 0, MaxEjectionPercent = 50 });
        var changes = Record(detector);
        detector.Start();
        var destinations = table.Services[0].Destinations;
        Fail(detector, destinations[5], 100); // in the first interval only
        _time.Advance(Interval);
        for (var i = 0; i < 6; i++)
        {
            Succeed(detector, destinations[i], 100);
        }

        _time.Advance(Interval);
        Assert.Empty(changes);
    }

    [Theory]
    [InlineData(46, 85, true)]   // 92 % > 85 %
    [InlineData(44, 86, true)]   // 88 % > 86 %
    [InlineData(43, 86, false)]  // 86 % is not above 86 % (A50: "greater than")
    public void Sweep_FailurePercentage_EjectedWhenAboveThreshold(int failures, int threshold, bool ejected)
    {
        var table = Table(5);
        using var detector = Detector(table, new OutlierDetectionOptions { ConsecutiveFailures = 0, SuccessRate = null, MaxEjectionPercent = 100, FailurePercentage = new FailurePercentageEjectionOptions { Threshold = threshold } });
        var changes = Record(detector);
        detector.Start();
        var d = table.Services[0].Destinations[2];
        Fail(detector, d, failures);
        Succeed(detector, d, 50 - failures);
        _time.Advance(Interval);
        Assert.Equal(ejected, changes.Any(c => c.IsEjected && c.Destination == d && c.Reason == OutlierEjectionReason.FailurePercentage));
    }

    [Fact]
    public void Sweep_FailurePercentageFewerServersThanMinimumHosts_NotEjected()
    {
        var table = Table(4);
        using var detector = Detector(table, new OutlierDetectionOptions { ConsecutiveFailures = 0, SuccessRate = null, MaxEjectionPercent = 100, FailurePercentage = new() });
        var changes = Record(detector);
        detector.Start();
        Fail(detector, table.Services[0].Destinations[0], 100);
        _time.Advance(Interval);
        Assert.Empty(changes);
    }

    [Fact]
    public void ReportFailure_EnforcementZero_NeverEjectsAndCountsSkip()
    {
        var table = Table(10);
        var logger = new CapturingLogger<OutlierDetector>();
        using var detector = new OutlierDetector(table, new OutlierDetectionOptions { SuccessRate = null, ConsecutiveFailuresEnforcementPercentage = 0 }, _time, logger);
        var d = table.Services[0].Destinations[0];
        Fail(detector, d, 20);
        Assert.False(detector.IsEjected(d));
        Assert.Contains(logger.Entries, e => e.EventId.Id == 4012 && e.Message.Contains("enforcement_percentage"));
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OutlierDetector(Table(1), new OutlierDetectionOptions { MaxEjectionPercent = 101 }));
        Assert.Contains("MaxEjectionPercent", ex.Message);
    }

    [Fact]
    public async Task Ejection_Logs4010And4011AndChannelCarriesBoth()
    {
        var table = Table(10);
        var logger = new CapturingLogger<OutlierDetector>();
        using var detector = new OutlierDetector(table, new OutlierDetectionOptions { SuccessRate = null, BaseEjectionTime = TimeSpan.FromSeconds(5) }, _time, logger);
        detector.Start();
        Fail(detector, table.Services[0].Destinations[0], 5);
        _time.Advance(Interval);
        Assert.Equal([4010, 4011], logger.Entries.Where(e => e.EventId.Id is 4010 or 4011).Select(e => e.EventId.Id));
        var first = await detector.Changes.ReadAsync(TestContext.Current.CancellationToken);
        var second = await detector.Changes.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal([true, false], [first.IsEjected, second.IsEjected]);
    }

    // One second at a time: FakeTimeProvider runs every due sweep of one Advance at the final time.
    private void Seconds(int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    internal static ServiceTable Table(int servers)
        => ServiceTableHealthAdapterTests.CreateTable([.. Enumerable.Range(1, servers).Select(i => ($"10.0.{i / 250}.{(i % 250) + 1}", 1))]);

    private static void Fail(OutlierDetector detector, RealServerState d, int count)
    {
        for (var i = 0; i < count; i++)
        {
            detector.ReportFailure(d, PassiveFailure.Refused);
        }
    }

    private static void Succeed(OutlierDetector detector, RealServerState d, int count)
    {
        for (var i = 0; i < count; i++)
        {
            detector.ReportSuccess(d);
        }
    }

    private static List<OutlierChange> Record(OutlierDetector detector)
    {
        var list = new List<OutlierChange>();
        detector.Changed += (_, c) =>
        {
            lock (list)
            {
                list.Add(c);
            }
        };
        return list;
    }

    private OutlierDetector Detector(ServiceTable table, OutlierDetectionOptions options) => new(table, options, _time, random: new Random(1));
}
