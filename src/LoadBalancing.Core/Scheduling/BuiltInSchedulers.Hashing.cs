namespace LoadBalancing.Scheduling;

internal static partial class BuiltInSchedulers
{
    /// <summary>Schedulers that hash packet fields or keep locality tables: dh, sh, mh, lblc, lblcr.</summary>
    private static IEnumerable<ISchedulerFactory> HashingSchedulers() =>
    [
        new DelegateSchedulerFactory(SchedulerNames.DestinationHashing, c => new DestinationHashingScheduler(c)),
        new DelegateSchedulerFactory(SchedulerNames.SourceHashing, c => new SourceHashingScheduler(c)),
        new DelegateSchedulerFactory(SchedulerNames.MaglevHashing, c => new MaglevHashingScheduler(c)),
        new DelegateSchedulerFactory(SchedulerNames.LocalityBasedLeastConnection, c => new LocalityBasedLeastConnectionScheduler(c)),
        new DelegateSchedulerFactory(
            SchedulerNames.LocalityBasedLeastConnectionWithReplication,
            c => new LocalityBasedLeastConnectionWithReplicationScheduler(c)),
    ];
}
