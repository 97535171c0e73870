using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Locality-based least connection with replication, as <c>net/netfilter/ipvs/ip_vs_lblcr.c</c> (Linux 6.x):
/// each destination address maps to a set of servers; the set's weighted least-connection member is used,
/// a server picked by wlc over the whole service joins the set when that member is missing or overloaded,
/// and a set unchanged for the expiration time loses its most loaded member.
/// </summary>
/// <remarks>
/// Expiry follows the kernel's 60-second collection timer, run lazily on pick (see <see cref="LocalityTable{TEntry}"/>).
/// Picks take a lock; a pick that creates an entry or grows a set allocates.
/// </remarks>
internal sealed class LocalityBasedLeastConnectionWithReplicationScheduler : IScheduler
{
    private readonly Lock _lock = new();
    private readonly LocalityTable<LocalitySetEntry> _table;
    private ImmutableArray<RealServerState> _destinations = [];

    public LocalityBasedLeastConnectionWithReplicationScheduler(SchedulerContext context)
        : this(context, LocalityTable<LocalitySetEntry>.DefaultExpiration)
    {
    }

    /// <param name="context">The service and clock.</param>
    /// <param name="expiration"><c>net.ipv4.vs.lblcr_expiration</c>.</param>
    internal LocalityBasedLeastConnectionWithReplicationScheduler(SchedulerContext context, TimeSpan expiration)
    {
        ArgumentNullException.ThrowIfNull(context);
        _table = new LocalityTable<LocalitySetEntry>(context.TimeProvider, expiration);
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
            RealServerState? dest;
            if (entry is not null)
            {
                entry.LastUse = now;
                dest = entry.Min();

                // Shrink a replicated set that has not changed for the expiration time (strictly after). The
                // member chosen above is still used even if it is the one removed, as in the kernel.
                if (entry.Count > 1 && now > entry.LastModified + _table.Expiration && entry.Max() is { } most)
                {
                    entry.Erase(most, now);
                }

                if (dest is not null && !LocalityRules.IsOverloaded(dest, destinations))
                {
                    return dest;
                }

                dest = LocalityRules.WeightedLeastConnection(destinations);
                if (dest is null)
                {
                    return null;
                }

                entry.Insert(dest, now);
                return dest;
            }

            dest = LocalityRules.WeightedLeastConnection(destinations);
            if (dest is null)
            {
                return null;
            }

            _table.Add(new LocalitySetEntry(request.DestinationAddress, dest, now));
            return dest;
        }
    }

    /// <summary>Gets the members of the set for a destination address, in kernel order (tests).</summary>
    internal RealServerState[] SetFor(Model.NetworkAddress address)
    {
        lock (_lock)
        {
            return _table.Find(address)?.Members.ToArray() ?? [];
        }
    }
}
