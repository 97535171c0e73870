namespace LoadBalancing.Scheduling;

internal static partial class BuiltInSchedulers
{
    /// <summary>Schedulers that look at weights and connection counters: rr, wrr, lc, wlc, sed, nq, fo, ovf, twos.</summary>
    private static IEnumerable<ISchedulerFactory> CountingSchedulers() =>
    [
        new DelegateSchedulerFactory(SchedulerNames.RoundRobin, c => new RoundRobinScheduler(c)),
    ];
}
