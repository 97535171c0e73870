namespace LoadBalancing.Scheduling;

internal static partial class BuiltInSchedulers
{
    /// <summary>Schedulers that look at weights and connection counters: rr, wrr, lc, wlc, sed, nq, fo, ovf, twos.</summary>
    private static IEnumerable<ISchedulerFactory> CountingSchedulers() =>
    [
        new DelegateSchedulerFactory(SchedulerNames.RoundRobin, c => new RoundRobinScheduler(c)),
        new DelegateSchedulerFactory(SchedulerNames.WeightedRoundRobin, c => new WeightedRoundRobinScheduler(c)),
        new DelegateSchedulerFactory(SchedulerNames.LeastConnection, c => new LeastLoadScheduler<LeastConnectionRule>(c)),
        new DelegateSchedulerFactory(SchedulerNames.WeightedLeastConnection, c => new LeastLoadScheduler<WeightedLeastConnectionRule>(c)),
        new DelegateSchedulerFactory(SchedulerNames.ShortestExpectedDelay, c => new LeastLoadScheduler<ShortestExpectedDelayRule>(c)),
        new DelegateSchedulerFactory(SchedulerNames.NeverQueue, c => new LeastLoadScheduler<NeverQueueRule>(c)),
        new DelegateSchedulerFactory(SchedulerNames.WeightedFailover, c => new LeastLoadScheduler<WeightedFailoverRule>(c)),
        new DelegateSchedulerFactory(SchedulerNames.WeightedOverflow, c => new LeastLoadScheduler<WeightedOverflowRule>(c)),
        new DelegateSchedulerFactory(SchedulerNames.PowerOfTwoChoices, c => new PowerOfTwoChoicesScheduler(c)),
    ];
}
