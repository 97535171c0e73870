using CsCheck;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Tests.Fakes;

/// <summary>
/// Shared property checks for the indexed least-load schedulers: whatever the list, weights, counters and
/// OVERLOAD flags, and after any sequence of load changes, weight edits and list edits, the pick equals the
/// kernel's linear scan (<see cref="KernelScan"/>).
/// </summary>
internal static class LeastLoadProperties
{
    /// <summary>A server's weight and load; small ranges so that ties are frequent.</summary>
    private static readonly Gen<(int Weight, int Active, int Inactive, bool Overloaded)> ServerGen =
        Gen.Select(
            Gen.OneOf(Gen.Int[0, 4], Gen.Int[0, 65535]),
            Gen.Int[0, 6],
            Gen.OneOf(Gen.Int[0, 3], Gen.Int[0, 2000]),
            Gen.Int[0, 4].Select(x => x == 0));

    /// <summary>
    /// One step: 0 = set a destination's counters and flag, 1 = change its weight at runtime,
    /// 2 = add a server, 3 = remove one.
    /// </summary>
    private static readonly Gen<(int Kind, int Target, (int Weight, int Active, int Inactive, bool Overloaded) Server)> StepGen =
        Gen.Select(Gen.Frequency((8, Gen.Const(0)), (2, Gen.Const(1)), (1, Gen.Const(2)), (1, Gen.Const(3))), Gen.Int[0, 1000], ServerGen);

    public static void IndexedPickEqualsKernelScan(string scheduler)
    {
        Gen.Select(ServerGen.Array[0, 12], StepGen.Array[0, 40]).Sample(
            (servers, steps) =>
            {
                var service = TestServices.Create(scheduler, [.. servers.Select((s, i) => (Address(i), s.Weight))]);
                for (var i = 0; i < servers.Length; i++)
                {
                    var s = servers[i];
                    TestServices.Dest(service, Address(i)).SetCountersForTesting(s.Active, s.Inactive, overloaded: s.Overloaded);
                }

                AssertSameAsKernel(scheduler, service);
                var next = servers.Length;
                foreach (var (kind, target, s) in steps)
                {
                    var list = service.Destinations;
                    switch (kind)
                    {
                        case 0 when list.Length > 0:
                            list[target % list.Length].SetCountersForTesting(s.Active, s.Inactive, overloaded: s.Overloaded);
                            break;
                        case 1 when list.Length > 0:
                            service.SetWeight(list[target % list.Length], s.Weight);
                            break;
                        case 2:
                            SchedulerScenarios.Add(service, Address(next++), s.Weight);
                            break;
                        case 3 when list.Length > 0:
                            var gone = list[target % list.Length];
                            var remaining = service.Config.RealServers.RemoveAll(r => r.Address == gone.Address);
                            service.Apply(service.Config with { RealServers = remaining }, SchedulerRegistry.Default, new FakeTimeProvider());
                            break;
                        default:
                            continue;
                    }

                    AssertSameAsKernel(scheduler, service);
                }
            },
            iter: 300,
            threads: 1);
    }

    private static string Address(int i) => $"10.1.{i / 250}.{(i % 250) + 1}";

    private static void AssertSameAsKernel(string scheduler, VirtualServiceState service)
    {
        var expected = KernelScan.Pick(scheduler, service.Destinations);
        var request = TestServices.Request();
        var actual = service.Schedule(in request);
        Assert.Same(expected, actual);
    }
}
