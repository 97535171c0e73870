using CsCheck;
using LoadBalancing.Runtime;

namespace LoadBalancing.Tests.Fakes;

/// <summary>Invariants every stock counting scheduler keeps, checked over random lists.</summary>
internal static class SchedulerProperties
{
    /// <summary>
    /// Whatever the weights, counters and OVERLOAD flags, a pick is never a weight-0 or OVERLOAD server,
    /// and it is null only when every server is one of those (or none exists) — with the exception
    /// of ovf, which also refuses servers whose active connections exceed their weight.
    /// </summary>
    public static void NeverPicksWeightZeroOrOverloaded(string scheduler)
    {
        var server = Gen.Select(Gen.Int[0, 3], Gen.Int[0, 4], Gen.Int[0, 300], Gen.Int[0, 3].Select(x => x == 0));
        server.Array[0, 8].Sample(
            servers =>
            {
                var service = TestServices.Create(scheduler, [.. servers.Select((s, i) => ($"10.2.0.{i + 1}", s.Item1))]);
                for (var i = 0; i < servers.Length; i++)
                {
                    var (_, active, inactive, overloaded) = servers[i];
                    TestServices.Dest(service, $"10.2.0.{i + 1}").SetCountersForTesting(active, inactive, overloaded: overloaded);
                }

                var request = TestServices.Request();
                for (var n = 0; n < 20; n++)
                {
                    var anyEligible = service.Destinations.Any(d => d.Weight > 0 && !d.IsOverloaded);
                    var dest = service.Schedule(in request);
                    if (dest is null)
                    {
                        Assert.True(!anyEligible || scheduler == "ovf", "null although a server was eligible");
                        continue;
                    }

                    Assert.True(dest.Weight > 0, $"{scheduler} picked weight-0 {dest}");
                    Assert.False(dest.IsOverloaded, $"{scheduler} picked OVERLOAD {dest}");
                    dest.Bind(ConnectionCountKind.Active);
                }
            },
            iter: 200,
            threads: 1);
    }
}
