namespace LoadBalancing.Scheduling;

/// <summary>Creates scheduler instances of one kind, named as ipvsadm names them (<c>-s wlc</c>).</summary>
public interface ISchedulerFactory
{
    /// <summary>Gets the scheduler name, e.g. <see cref="SchedulerNames.WeightedLeastConnection"/>.</summary>
    string Name { get; }

    /// <summary>Creates a scheduler for one virtual service.</summary>
    /// <param name="context">The service and the services a scheduler may use.</param>
    /// <returns>A new scheduler; <see cref="IScheduler.OnDestinationsChanged"/> is called before the first pick.</returns>
    IScheduler Create(SchedulerContext context);
}
