using CsCheck;

namespace LoadBalancing.Health.Tests;

public sealed class HealthCounterTests
{
    [Fact]
    public void Report_UpWithFall3_DownOnThirdFailure()
    {
        var counter = new HealthCounter(rise: 2, fall: 3, HealthState.Up);
        counter.Report(false);
        counter.Report(false);
        Assert.Equal(HealthState.Up, counter.State);
        counter.Report(false);
        Assert.Equal(HealthState.Down, counter.State);
        Assert.Equal(0, counter.Value);
    }

    [Fact]
    public void Report_DownWithRise2_UpOnSecondPassAtTop()
    {
        var counter = new HealthCounter(rise: 2, fall: 3, HealthState.Down);
        counter.Report(true);
        Assert.Equal(HealthState.Down, counter.State);
        counter.Report(true);
        Assert.Equal(HealthState.Up, counter.State);
        Assert.Equal(4, counter.Value); // rise + fall - 1
    }

    [Fact]
    public void Report_PassWhileFalling_RestoresTopSoFallNeedsConsecutiveFailures()
    {
        // HAProxy: health 4 -> 3 -> 2, a pass makes it 3 >= rise, which jumps back to the top (4).
        var counter = new HealthCounter(rise: 2, fall: 3, HealthState.Up);
        counter.Report(false);
        counter.Report(false);
        counter.Report(true);
        Assert.Equal(4, counter.Value);
        counter.Report(false);
        counter.Report(false);
        Assert.Equal(HealthState.Up, counter.State);
        counter.Report(false);
        Assert.Equal(HealthState.Down, counter.State);
    }

    [Fact]
    public void Report_FailureWhileRising_RestoresZero()
    {
        var counter = new HealthCounter(rise: 3, fall: 1, HealthState.Down);
        counter.Report(true);
        counter.Report(true);
        counter.Report(false);
        Assert.Equal(0, counter.Value);
    }

    [Theory]
    [InlineData(HealthState.Up)]
    [InlineData(HealthState.Down)]
    public void Report_Alternating_NeverChangesStateWhenRiseAndFallAtLeastTwo(HealthState initial)
    {
        var counter = new HealthCounter(rise: 2, fall: 2, initial);
        for (var i = 0; i < 100; i++)
        {
            counter.Report(i % 2 == 0);
            Assert.Equal(initial, counter.State);
        }
    }

    [Fact]
    public void Report_AnySequence_TransitionsOnlyAfterRiseOrFallConsecutiveResults()
    {
        Gen.Select(Gen.Int[1, 5], Gen.Int[1, 5], Gen.Bool.Array[0, 200], Gen.Bool).Sample((rise, fall, results, startUp) =>
        {
            var counter = new HealthCounter(rise, fall, startUp ? HealthState.Up : HealthState.Down);
            var state = counter.State;
            int passes = 0, failures = 0;
            foreach (var passed in results)
            {
                counter.Report(passed);
                (passes, failures) = passed ? (passes + 1, 0) : (0, failures + 1);

                if (counter.State != state)
                {
                    if (counter.State == HealthState.Up ? passes < rise : failures < fall)
                    {
                        return false;
                    }

                    state = counter.State;
                    passes = failures = 0;
                }
            }

            return true;
        });
    }
}
