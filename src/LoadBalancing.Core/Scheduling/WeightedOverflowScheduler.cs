using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Weighted overflow, as <c>net/netfilter/ipvs/ip_vs_ovf.c</c>: the highest-weight destination that is
/// not OVERLOAD and has no more active connections than its weight; the first (newest) wins ties.
/// </summary>
/// <remarks>
/// The weight doubles as an active-connection cap: a destination stays eligible while <c>act &lt;= weight</c>,
/// so it can reach weight + 1 before traffic overflows to the next one. Only active connections count, so
/// (as ipvsadm.8 warns) it does not suit UDP. A linear scan like the kernel's: ovf is used with a few
/// overflow tiers, and eligibility flips with every connection on the server in front, so an index would
/// be updated on nearly every connection for lists that are short anyway.
/// </remarks>
internal sealed class WeightedOverflowScheduler : IScheduler
{
    private ImmutableArray<RealServerState> _destinations = [];

    public WeightedOverflowScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
        => _destinations = destinations;

    public RealServerState? Pick(in SchedulingRequest request)
    {
        RealServerState? highest = null;
        var highestWeight = 0;
        foreach (var dest in _destinations)
        {
            var weight = dest.Weight;
            if (dest.IsOverloaded || dest.ActiveConnections > weight || weight == 0)
            {
                continue;
            }

            if (highest is null || weight > highestWeight)
            {
                highest = dest;
                highestWeight = weight;
            }
        }

        return highest;
    }
}
