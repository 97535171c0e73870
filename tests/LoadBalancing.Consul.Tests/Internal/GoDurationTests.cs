using System.Text.Json;
using LoadBalancing.Consul.Internal;
using LoadBalancing.Consul.Model;

namespace LoadBalancing.Consul.Tests.Internal;

/// <summary>Go duration strings as time.ParseDuration and time.Duration.String define them.</summary>
public sealed class GoDurationTests
{
    public static TheoryData<string, long> Formats => new()
    {
        { "0s", 0 },
        { "90m", TimeSpan.FromMinutes(90).Ticks },       // the registration sample's DeregisterCriticalServiceAfter
        { "1h", TimeSpan.FromHours(1).Ticks },
        { "10s", TimeSpan.FromSeconds(10).Ticks },
        { "1500ms", TimeSpan.FromMilliseconds(1500).Ticks },
        { "250us", TimeSpan.FromMicroseconds(250).Ticks },
        { "100ns", 1 },
        { "-5s", TimeSpan.FromSeconds(-5).Ticks },
    };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Format_Value_UsesTheLargestExactUnit(string expected, long ticks)
        => Assert.Equal(expected, GoDuration.Format(TimeSpan.FromTicks(ticks)));

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1h30m", 54_000_000_000)]
    [InlineData("1.5s", 15_000_000)]
    [InlineData("500ms", 5_000_000)]
    [InlineData("2µs", 20)]
    [InlineData("2μs", 20)]
    [InlineData("2us", 20)]
    [InlineData("+3m", 1_800_000_000)]
    [InlineData("-1m30s", -900_000_000)]
    [InlineData(".5h", 18_000_000_000)]
    public void TryParse_GoSyntax_Parses(string text, long ticks)
    {
        Assert.True(GoDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromTicks(ticks), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10")]
    [InlineData("1d")]
    [InlineData("s")]
    [InlineData("1.2.3s")]
    [InlineData("-")]
    [InlineData("10 s")]
    public void TryParse_NotGo_Rejects(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Fact]
    public void Deserialize_LockDelayAsNanosecondsOrString_BothParse()
    {
        var fromNumber = JsonSerializer.Deserialize("""[{"LockDelay":15000000000,"TTL":"30s"}]""", ConsulJsonContext.Default.ListSessionInfo)!;
        var fromString = JsonSerializer.Deserialize("""[{"LockDelay":"15s"}]""", ConsulJsonContext.Default.ListSessionInfo)!;

        Assert.Equal(TimeSpan.FromSeconds(15), fromNumber[0].LockDelay);
        Assert.Equal(TimeSpan.FromSeconds(15), fromString[0].LockDelay);
        Assert.Equal(SessionBehavior.Release, fromString[0].Behavior);
    }
}
