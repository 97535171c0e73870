namespace LoadBalancing.Health.Tests;

public sealed class SlowStartTests
{
    [Theory]
    [InlineData(16, 0, 1)]      // at recovery: a trickle, never 0 (0 would quiesce)
    [InlineData(16, 1, 1)]
    [InlineData(16, 8, 8)]
    [InlineData(16, 15, 15)]
    [InlineData(16, 16, 16)]
    [InlineData(16, 30, 16)]
    [InlineData(10, 1, 1)]      // ceil(10 * 1/16) = ceil(0.625)
    [InlineData(10, 2, 2)]      // ceil(1.25)
    [InlineData(10, 9, 6)]      // ceil(5.625)
    [InlineData(0, 5, 0)]       // a weight-0 server stays 0
    public void Weight_ElapsedOf16Seconds_CeilingOfLinearRamp(int full, int elapsedSeconds, int expected)
        => Assert.Equal(expected, SlowStart.Weight(full, TimeSpan.FromSeconds(elapsedSeconds), TimeSpan.FromSeconds(16)));
}
