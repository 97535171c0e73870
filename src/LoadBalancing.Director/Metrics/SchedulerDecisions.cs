using System.Collections.Concurrent;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Director.Metrics;

/// <summary>
/// Counts every scheduler decision per virtual service: a real server picked, or none available (the packet or
/// client is dropped). Every scheduler the table creates is wrapped by <see cref="Wrap"/>; the counts outlive a
/// scheduler change (<c>-E -s</c>) because they are kept per service key.
/// </summary>
internal sealed class SchedulerDecisions
{
    private readonly ConcurrentDictionary<VirtualServiceKey, Counts> _counts = new();

    /// <summary>Returns the counts of a service, if it ever scheduled.</summary>
    public bool TryGet(VirtualServiceKey key, out Counts counts) => _counts.TryGetValue(key, out counts!);

    /// <summary>Returns a registry whose factories create counting schedulers around those of <paramref name="inner"/>.</summary>
    public SchedulerRegistry Wrap(SchedulerRegistry inner)
    {
        var factories = new List<ISchedulerFactory>();
        foreach (var name in inner.Names)
        {
            if (inner.TryGetFactory(name, out var factory))
            {
                factories.Add(new CountingFactory(factory, this));
            }
        }

        return new SchedulerRegistry(factories);
    }

    /// <summary>The decisions of one service; updated lock-free on the pick path.</summary>
    internal sealed class Counts
    {
        private long _scheduled;
        private long _noDestination;

        public long Scheduled => Volatile.Read(ref _scheduled);

        public long NoDestination => Volatile.Read(ref _noDestination);

        public void Add(bool scheduled)
        {
            if (scheduled)
            {
                Interlocked.Increment(ref _scheduled);
            }
            else
            {
                Interlocked.Increment(ref _noDestination);
            }
        }
    }

    private sealed class CountingFactory(ISchedulerFactory inner, SchedulerDecisions decisions) : ISchedulerFactory
    {
        public string Name => inner.Name;

        public IScheduler Create(SchedulerContext context)
            => new CountingScheduler(inner.Create(context), decisions._counts.GetOrAdd(context.Service.Key, _ => new Counts()));
    }

    // Pick stays allocation-free: one interlocked increment around the wrapped scheduler's pick.
    private sealed class CountingScheduler(IScheduler inner, Counts counts) : IScheduler
    {
        public void OnDestinationsChanged(System.Collections.Immutable.ImmutableArray<Runtime.RealServerState> destinations) => inner.OnDestinationsChanged(destinations);

        public void OnLoadChanged(Runtime.RealServerState destination) => inner.OnLoadChanged(destination);

        public Runtime.RealServerState? Pick(in SchedulingRequest request)
        {
            var picked = inner.Pick(in request);
            counts.Add(picked is not null);
            return picked;
        }
    }
}
