using System.Diagnostics.Metrics;
using LoadBalancing.Health.Tests.Fakes;
using LoadBalancing.Health.Tests.Fixtures;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Health.Tests;

public sealed class HealthCheckerTests
{
    private static readonly TimeSpan Loop = TimeSpan.FromSeconds(10);
    private static readonly ProbeTarget Endpoint = FreePort.Loopback(80);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private static HealthCheckPolicy Policy(int rise = 2, int fall = 3) => new() { DelayLoop = Loop, Rise = rise, Fall = fall, Jitter = 0 };

    [Fact]
    public async Task Start_AlwaysFailing_DownExactlyAtFallthCheck()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var probe = ScriptedProbe.Always(false);
        var changes = Record(checker);
        checker.Add(new HealthCheckTarget("a", Endpoint, probe, Policy(), weight: 5));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        _time.Advance(Loop);
        Assert.Equal(2, probe.Calls);
        Assert.Single(changes); // the initial report only

        _time.Advance(Loop);
        Assert.Equal(3, probe.Calls);
        var down = changes[^1];
        Assert.Equal((HealthState.Up, HealthState.Down, 0, "scripted down"), (down.PreviousState, down.State, down.Weight, down.Reason));
        Assert.True(down.IsRemoved);
    }

    [Fact]
    public async Task Start_Alpha_UpAfterRisePassesWithFullWeight()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var changes = Record(checker);
        checker.Add(new HealthCheckTarget("a", Endpoint, ScriptedProbe.Always(true), Policy() with { InitialState = HealthState.Down }, weight: 5));
        Assert.Equal((HealthState.Down, 0), (changes[0].State, changes[0].Weight));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Single(changes);
        _time.Advance(Loop);
        Assert.Equal((HealthState.Up, 5), (changes[^1].State, changes[^1].Weight));
    }

    [Fact]
    public async Task Start_Retry_FailedCheckOnlyAfterRetriesSpacedByDelayBeforeRetry()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var probe = new ScriptedProbe(_ => ProbeResult.Down("x"), _time);
        var changes = Record(checker);
        var policy = Policy(rise: 1, fall: 1) with { Retry = 2, DelayBeforeRetry = TimeSpan.FromSeconds(1) };
        checker.Add(new HealthCheckTarget("a", Endpoint, probe, policy));
        var start = _time.GetUtcNow();
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(changes);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(HealthState.Down, changes[^1].State);
        Assert.Equal([TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], probe.CallTimes.Select(t => t - start));

        // The next check comes a full delay loop after the failed one.
        _time.Advance(Loop - TimeSpan.FromTicks(1));
        Assert.Equal(3, probe.Calls);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(4, probe.Calls);
    }

    [Fact]
    public async Task Start_RetrySucceeds_NoFailureCounted()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var changes = Record(checker);
        var probe = new ScriptedProbe(n => n % 2 == 0 ? ProbeResult.Down("x") : ProbeResult.Up());
        checker.Add(new HealthCheckTarget("a", Endpoint, probe, Policy(rise: 1, fall: 1) with { Retry = 1 }));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // Checks at 0 s (fail, retried at 1 s: pass) and 11 s (fail, retried at 12 s: pass); fall 1 never reached.
        Assert.Single(changes);
        Assert.Equal(4, probe.Calls);
    }

    [Fact]
    public async Task Flap_TargetTogglingEveryProbe_MembershipNeverToggles()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var changes = Record(checker);
        var probe = new ScriptedProbe(n => n % 2 == 0 ? ProbeResult.Down("flap") : ProbeResult.Up());
        checker.Add(new HealthCheckTarget("a", Endpoint, probe, Policy(rise: 2, fall: 2)));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        for (var i = 0; i < 200; i++)
        {
            _time.Advance(Loop);
        }

        Assert.Equal(201, probe.Calls);
        Assert.Single(changes);
    }

    [Fact]
    public async Task Flap_BurstsShorterThanFall_NoTransitionLongerOnesAtMostOnePerBurst()
    {
        // Pattern per 6 checks: 2 failures, 4 passes (fall 3: never down), then 4 failures, 4 passes (down once, up once).
        await using var checker = new HealthChecker(timeProvider: _time);
        var changes = Record(checker);
        bool[] pattern = [false, false, true, true, true, true, false, false, false, false, true, true, true, true];
        var probe = new ScriptedProbe(n => n < pattern.Length && !pattern[n] ? ProbeResult.Down("burst") : ProbeResult.Up());
        checker.Add(new HealthCheckTarget("a", Endpoint, probe, Policy(rise: 2, fall: 3)));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        for (var i = 1; i < pattern.Length; i++)
        {
            _time.Advance(Loop);
        }

        // Down at the 3rd failure of the second burst (check 9), up at the 2nd pass after it (check 12).
        Assert.Equal([HealthState.Up, HealthState.Down, HealthState.Up], changes.Select(c => c.State));
        var start = changes[0].Timestamp;
        Assert.Equal([Loop * 8, Loop * 11], changes.Skip(1).Select(c => c.Timestamp - start));
    }

    [Fact]
    public async Task Down_InhibitOnFailure_NotRemoved()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var changes = Record(checker);
        checker.Add(new HealthCheckTarget("a", Endpoint, ScriptedProbe.Always(false), Policy(fall: 1) with { InhibitOnFailure = true }, weight: 3));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Equal((HealthState.Down, 0, false), (changes[^1].State, changes[^1].Weight, changes[^1].IsRemoved));
    }

    [Fact]
    public async Task Recovery_SlowStart_WeightRampsEachStepToFull()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var changes = Record(checker);
        var probe = new ScriptedProbe(n => n == 0 ? ProbeResult.Down("x") : ProbeResult.Up());
        var policy = Policy(rise: 1, fall: 1) with { DelayLoop = TimeSpan.FromHours(1), SlowStart = TimeSpan.FromSeconds(16) };
        checker.Add(new HealthCheckTarget("a", Endpoint, probe, policy, weight: 32));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Equal(HealthState.Down, changes[^1].State);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal((HealthState.Up, 1), (changes[^1].State, changes[^1].Weight));
        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        // 16 steps of 1 s: ceil(32 * k / 16) = 2k.
        Assert.Equal(Enumerable.Range(1, 16).Select(k => 2 * k), changes.Skip(3).Select(c => c.Weight));
        Assert.True(checker.TryGetStatus("a", out _, out var weight));
        Assert.Equal(32, weight);
    }

    [Fact]
    public async Task Check_DynamicWeight_ReportedAsWeightChange()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var changes = Record(checker);
        checker.Add(new HealthCheckTarget("a", Endpoint, new ScriptedProbe(_ => ProbeResult.Weighted(7)), Policy(), weight: 1));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Equal((HealthState.Up, HealthState.Up, 7), (changes[^1].PreviousState, changes[^1].State, changes[^1].Weight));
    }

    [Fact]
    public async Task Check_ProbeHangs_DownAfterConnectTimeoutOnFakeTime()
    {
        await using var checker = new HealthChecker(timeProvider: _time);
        var probe = new HangingProbe();
        checker.Add(new HealthCheckTarget("a", Endpoint, probe, Policy(fall: 1) with { ConnectTimeout = TimeSpan.FromSeconds(3) }));
        var initial = await checker.Changes.ReadAsync(TestContext.Current.CancellationToken);
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        await probe.Entered.Task.WaitAsync(TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromSeconds(3));
        var down = await checker.Changes.ReadAsync(TestContext.Current.CancellationToken);
        Assert.Equal(HealthState.Up, initial.State);
        Assert.Equal((HealthState.Down, "timeout after 3000 ms"), (down.State, down.Reason));
    }

    [Fact]
    public async Task Check_ProbeThrows_CountsAsFailureAndLogs()
    {
        var logger = new CapturingLogger<HealthChecker>();
        await using var checker = new HealthChecker(timeProvider: _time, logger: logger);
        var changes = Record(checker);
        checker.Add(new HealthCheckTarget("a", Endpoint, new ScriptedProbe(_ => throw new InvalidOperationException("boom")), Policy(fall: 1)));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Equal("probe threw InvalidOperationException: boom", changes[^1].Reason);
        Assert.Contains(logger.Entries, e => e.EventId.Id == 4005);
        Assert.Contains(logger.Entries, e => e.EventId.Id == 4002 && e.Level == LogLevel.Warning && e.Message.Contains("removed"));
    }

    [Fact]
    public async Task Start_ManyTargets_ConcurrencyBounded()
    {
        await using var checker = new HealthChecker(maxConcurrency: 2, timeProvider: _time);
        var gate = new GateProbe();
        for (var i = 0; i < 6; i++)
        {
            checker.Add(new HealthCheckTarget($"t{i}", Endpoint, gate, Policy() with { ConnectTimeout = TimeSpan.FromHours(1) }));
        }

        checker.Start();
        _time.Advance(TimeSpan.Zero);
        await gate.WaitForInFlightAsync(2);
        Assert.Equal(2, gate.InFlight);
        gate.Release.TrySetResult();
        await gate.WaitForCompletedAsync(6);
        Assert.Equal(2, gate.MaxInFlight);
    }

    [Fact]
    public async Task Start_Jitter_FirstChecksSpreadOverDelayLoop()
    {
        await using var checker = new HealthChecker(timeProvider: _time, random: new Random(42));
        var probe = new ScriptedProbe(_ => ProbeResult.Up(), _time);
        for (var i = 0; i < 50; i++)
        {
            checker.Add(new HealthCheckTarget($"t{i}", Endpoint, probe, Policy() with { Jitter = 0.1 }));
        }

        var start = _time.GetUtcNow();
        checker.Start();
        for (var i = 0; i < 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        var seconds = probe.CallTimes.Select(t => (int)(t - start).TotalSeconds).ToArray();
        Assert.Equal(50, seconds.Length);
        Assert.True(seconds.Distinct().Count() >= 8, string.Join(",", seconds));
    }

    [Fact]
    public async Task Transition_Metrics_LbHealthTransitionsCounted()
    {
        var measured = new List<(string Instrument, long Value, string? State)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "LoadBalancing" && instrument.Name.StartsWith("lb.health.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? target = null, state = null;
            foreach (var tag in tags)
            {
                target = tag.Key == "target" ? (string?)tag.Value : target;
                state = tag.Key == "state" ? (string?)tag.Value : state;
            }

            if (target == "metrics-target")
            {
                lock (measured)
                {
                    measured.Add((instrument.Name, value, state));
                }
            }
        });
        listener.Start();

        await using var checker = new HealthChecker(timeProvider: _time);
        checker.Add(new HealthCheckTarget("metrics-target", Endpoint, ScriptedProbe.Always(false), Policy(fall: 1)));
        checker.Start();
        _time.Advance(TimeSpan.Zero);
        Assert.Contains(("lb.health.transitions", 1L, (string?)"down"), measured);
        Assert.Contains(measured, m => m.Instrument == "lb.health.checks");
    }

    [Fact]
    public void HealthCheckTarget_InvalidPolicy_ThrowsNamingOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new HealthCheckTarget("a", Endpoint, ScriptedProbe.Always(true), new HealthCheckPolicy { Rise = 0 }));
        Assert.Contains("Rise", ex.Message);
    }

    private static List<HealthChange> Record(HealthChecker checker)
    {
        var list = new List<HealthChange>();
        checker.Changed += (_, change) =>
        {
            lock (list)
            {
                list.Add(change);
            }
        };
        return list;
    }

    private sealed class HangingProbe : IHealthProbe
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "hang";

        public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return ProbeResult.Up();
        }
    }

    private sealed class GateProbe : IHealthProbe
    {
        private int _inFlight;
        private int _max;
        private int _completed;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string Name => "gate";

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MaxInFlight => Volatile.Read(ref _max);

        public async ValueTask<ProbeResult> ProbeAsync(ProbeTarget target, CancellationToken cancellationToken)
        {
            var now = Interlocked.Increment(ref _inFlight);
            int max;
            while (now > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, now, max) != max)
            {
            }

            await Release.Task.WaitAsync(cancellationToken);
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _completed);
            return ProbeResult.Up();
        }

        public Task WaitForInFlightAsync(int count) => WaitAsync(() => InFlight >= count);

        public Task WaitForCompletedAsync(int count) => WaitAsync(() => Volatile.Read(ref _completed) >= count);

        private static async Task WaitAsync(Func<bool> condition)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!condition())
            {
                await Task.Delay(5, timeout.Token);
            }
        }
    }
}
