using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Locality-based least connection, as <c>net/netfilter/ipvs/ip_vs_lblc.c</c> (Linux 6.x): remembers which
/// server each destination address went to and keeps sending it there while that server is available,
/// weighted and not overloaded in lblc's sense; otherwise picks by wlc and remembers the new choice.
/// </summary>
/// <remarks>
/// Expiry follows the kernel's 60-second collection timer, run lazily on pick (see <see cref="LocalityTable{TEntry}"/>).
/// Picks take a lock (the kernel takes <c>sched_lock</c> to insert); a pick that creates an entry allocates it.
/// </remarks>
internal sealed class LocalityBasedLeastConnectionScheduler : IScheduler
{
    private readonly Lock _lock = new();
    private readonly LocalityTable<LocalityServerEntry> _table;
    private ImmutableArray<RealServerState> _destinations = [];

    public LocalityBasedLeastConnectionScheduler(SchedulerContext context)
        : this(context, LocalityTable<LocalityServerEntry>.DefaultExpiration)
    {
    }

    /// <param name="context">The service and clock.</param>
    /// <param name="expiration"><c>net.ipv4.vs.lblc_expiration</c>.</param>
    internal LocalityBasedLeastConnectionScheduler(SchedulerContext context, TimeSpan expiration)
    {
        ArgumentNullException.ThrowIfNull(context);
        _table = new LocalityTable<LocalityServerEntry>(context.TimeProvider, expiration);
    }

    /// <summary>Gets the number of entries in the table (tests).</summary>
    internal int EntryCount
    {
        get
        {
            lock (_lock)
            {
                return _table.Count;
            }
        }
    }

    // lblc has no add/del/upd hooks: entries keep pointing at removed servers, which fail the AVAILABLE test.
    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
        => ImmutableInterlocked.InterlockedExchange(ref _destinations, destinations);

    public RealServerState? Pick(in SchedulingRequest request)
    {
        lock (_lock)
        {
            var destinations = _destinations;
            var now = _table.Now;
            _table.RunDueChecks(now);

            var entry = _table.Find(request.DestinationAddress);
            if (entry is not null)
            {
                entry.LastUse = now;
                var cached = entry.Destination;
                if (cached.IsAvailable && cached.Weight > 0 && !LocalityRules.IsOverloaded(cached, destinations))
                {
                    return cached;
                }
            }

            var dest = LocalityRules.WeightedLeastConnection(destinations);
            if (dest is null)
            {
                return null;
            }

            // ip_vs_lblc_new: keep an entry that already points there, else replace it.
            if (entry is not null)
            {
                if (ReferenceEquals(entry.Destination, dest))
                {
                    return dest;
                }

                _table.Remove(entry, countDown: false);
            }

            _table.Add(new LocalityServerEntry(request.DestinationAddress, dest, now));
            return dest;
        }
    }

    /// <summary>Runs due collection ticks without picking (tests).</summary>
    internal void Collect()
    {
        lock (_lock)
        {
            _table.RunDueChecks(_table.Now);
        }
    }
}
