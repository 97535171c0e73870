using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Round robin, as <c>net/netfilter/ipvs/ip_vs_rr.c</c>: a cursor walks the destination list (newest
/// first) and stops at the next destination that has a positive weight and is not OVERLOAD.
/// </summary>
internal sealed class RoundRobinScheduler : IScheduler
{
    private readonly Lock _lock = new();
    private ImmutableArray<RealServerState> _destinations = [];

    // Index of the last destination picked; -1 is the list head (ip_vs_rr starts with sched_data = &svc->destinations).
    private int _cursor = -1;

    public RoundRobinScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
    {
        lock (_lock)
        {
            var old = _destinations;
            var cursor = _cursor;
            _destinations = destinations;
            if (cursor < 0 || cursor >= old.Length)
            {
                _cursor = -1;
                return;
            }

            // ip_vs_rr_del_dest: when the cursor's destination goes, the cursor steps back to its predecessor.
            // Walking back over every deleted entry gives the same result for several deletions at once.
            for (var i = cursor; i >= 0; i--)
            {
                var index = destinations.IndexOf(old[i]);
                if (index >= 0)
                {
                    _cursor = index;
                    return;
                }
            }

            _cursor = -1;
        }
    }

    public RealServerState? Pick(in SchedulingRequest request)
    {
        lock (_lock)
        {
            var list = _destinations;
            var n = list.Length;
            if (n == 0)
            {
                return null;
            }

            // Walk forward from the entry after the cursor, wrapping through the head, until we come back
            // to the cursor itself (which is examined last, as in list_for_each_entry_continue_rcu + retry).
            var start = _cursor;
            for (var step = 1; step <= n; step++)
            {
                var index = (start + step) % n;
                if (start < 0)
                {
                    index = step - 1;
                }

                var dest = list[index];
                if (!dest.IsOverloaded && dest.Weight > 0)
                {
                    _cursor = index;
                    return dest;
                }
            }

            return null;
        }
    }
}
