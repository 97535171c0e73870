namespace LoadBalancing.Scheduling;

internal static partial class BuiltInSchedulers
{
    /// <summary>Schedulers that hash packet fields or keep locality tables: dh, sh, mh, lblc, lblcr.</summary>
    private static IEnumerable<ISchedulerFactory> HashingSchedulers() => [];
}
