namespace LoadBalancing.Scheduling;

/// <summary>A scheduler factory made from a name and a creation function.</summary>
internal sealed class DelegateSchedulerFactory(string name, Func<SchedulerContext, IScheduler> create) : ISchedulerFactory
{
    public string Name { get; } = name;

    public IScheduler Create(SchedulerContext context) => create(context);
}
