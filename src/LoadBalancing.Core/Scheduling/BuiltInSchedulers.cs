namespace LoadBalancing.Scheduling;

/// <summary>The schedulers that ship with the library, split by family into partial files.</summary>
internal static partial class BuiltInSchedulers
{
    public static IEnumerable<ISchedulerFactory> CreateFactories()
        => CountingSchedulers().Concat(HashingSchedulers());
}
