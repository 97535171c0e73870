using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// fo, as <c>net/netfilter/ipvs/ip_vs_fo.c</c>: the non-OVERLOAD destination with the highest weight; the
/// kernel keeps the current one unless a later one is strictly heavier, so the first (newest) wins ties.
/// </summary>
/// <remarks>
/// The kernel starts from <c>hw = 0</c> and needs <c>weight &gt; hw</c>, so weight 0 is never chosen: that is the
/// eligibility test here, and "strictly heavier" is the strict preorder <see cref="LeastLoadScheduler{TRule}"/> needs.
/// </remarks>
internal readonly struct WeightedFailoverRule : ILeastLoadRule
{
    public static LoadKey KeyOf(RealServerState destination)
    {
        var weight = destination.Weight;
        return new LoadKey(!destination.IsOverloaded && weight > 0, Load: 0, weight, Idle: false);
    }

    public static bool Replaces(in LoadKey candidate, in LoadKey best) => candidate.Weight > best.Weight;
}
