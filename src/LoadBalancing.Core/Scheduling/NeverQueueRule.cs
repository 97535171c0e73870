using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// nq, as <c>net/netfilter/ipvs/ip_vs_nq.c</c>: the first destination (list order) with no active
/// connection; when every candidate is busy, the sed minimum <c>(act + 1) / weight</c>.
/// </summary>
/// <remarks>
/// The kernel walks the list skipping OVERLOAD and weight 0, returns the first idle destination at once,
/// and otherwise keeps the sed minimum. Ranking "idle" below every busy destination, and all idle ones
/// equal, turns that into one total preorder: the lowest-positioned minimum is the first idle destination
/// if there is one, else the first sed minimum.
/// </remarks>
internal readonly struct NeverQueueRule : ILeastLoadRule
{
    public static LoadKey KeyOf(RealServerState destination)
    {
        var weight = destination.Weight;
        var active = destination.ActiveConnections;
        return new LoadKey(!destination.IsOverloaded && weight != 0, active + 1L, weight, Idle: active == 0);
    }

    public static bool Replaces(in LoadKey candidate, in LoadKey best)
    {
        if (best.Idle)
        {
            return false;
        }

        return candidate.Idle || LoadKey.HasLowerWeightedLoad(candidate, best);
    }
}
