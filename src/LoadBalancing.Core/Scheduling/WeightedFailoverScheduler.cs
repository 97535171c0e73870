using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Weighted failover, as <c>net/netfilter/ipvs/ip_vs_fo.c</c>: the destination with the highest weight
/// that is not OVERLOAD; the first (newest) wins ties, weight 0 never.
/// </summary>
/// <remarks>
/// A linear scan like the kernel's. fo is meant for a primary and a few standbys, and its answer changes
/// only with weights and OVERLOAD flips, so an index would buy nothing measurable for its list sizes.
/// </remarks>
internal sealed class WeightedFailoverScheduler : IScheduler
{
    private ImmutableArray<RealServerState> _destinations = [];

    public WeightedFailoverScheduler(SchedulerContext context)
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
            // Strict ">" from 0: weight 0 is never taken and ties keep the earlier entry.
            var weight = dest.Weight;
            if (!dest.IsOverloaded && weight > highestWeight)
            {
                highest = dest;
                highestWeight = weight;
            }
        }

        return highest;
    }
}
