using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>What a scheduler is created with.</summary>
public sealed class SchedulerContext
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="service">The virtual service to schedule for.</param>
    /// <param name="timeProvider">The clock (lblc/lblcr expiry).</param>
    /// <param name="random">Random source (twos); <see langword="null"/> for a shared thread-safe one.</param>
    public SchedulerContext(VirtualServiceState service, TimeProvider timeProvider, Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(timeProvider);
        Service = service;
        TimeProvider = timeProvider;
        Random = random ?? Random.Shared;
    }

    /// <summary>
    /// Gets the virtual service. Schedulers read its current <see cref="VirtualServiceState.Config"/> at pick
    /// time for flags (<c>sh-port</c>, <c>mh-fallback</c> …), which an edit (<c>-E</c>) may change.
    /// </summary>
    public VirtualServiceState Service { get; }

    /// <summary>Gets the clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Gets the random source; thread-safe unless a caller passed its own for a deterministic test.</summary>
    public Random Random { get; }
}
