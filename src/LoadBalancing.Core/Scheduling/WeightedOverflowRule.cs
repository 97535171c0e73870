using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// ovf, as <c>net/netfilter/ipvs/ip_vs_ovf.c</c>: the highest-weight destination that is not OVERLOAD, has
/// weight &gt; 0 and no more active connections than its weight; the first (newest) wins ties.
/// </summary>
/// <remarks>
/// The weight doubles as an active-connection cap: a destination stays eligible while <c>act &lt;= weight</c>,
/// so it can reach weight + 1 before traffic overflows to the next one. Only active connections count, so
/// (as ipvsadm.8 warns) it does not suit UDP. Eligibility depends on the active count, which
/// <see cref="IScheduler.OnLoadChanged"/> keeps current in the index.
/// </remarks>
internal readonly struct WeightedOverflowRule : ILeastLoadRule
{
    public static LoadKey KeyOf(RealServerState destination)
    {
        var weight = destination.Weight;
        var eligible = !destination.IsOverloaded && weight != 0 && destination.ActiveConnections <= weight;
        return new LoadKey(eligible, Load: 0, weight, Idle: false);
    }

    public static bool Replaces(in LoadKey candidate, in LoadKey best) => candidate.Weight > best.Weight;
}
