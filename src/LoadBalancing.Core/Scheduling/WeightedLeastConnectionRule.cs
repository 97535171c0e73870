using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// wlc, as <c>net/netfilter/ipvs/ip_vs_wlc.c</c>: the least <c>overhead / weight</c>, with overhead
/// <c>(act &lt;&lt; 8) + inact</c>, compared by cross-multiplication.
/// </summary>
/// <remarks>
/// The kernel starts from the first destination that is not OVERLOAD and has weight &gt; 0, then lets every
/// later non-OVERLOAD destination replace it when <c>loh * w(d) &gt; doh * w(least)</c>. A later destination
/// with weight 0 would need <c>0 &gt; doh * w(least)</c>, impossible with non-negative overheads, so treating
/// weight 0 as ineligible changes no choice and keeps the order a total preorder (see <see cref="ILeastLoadRule"/>).
/// </remarks>
internal readonly struct WeightedLeastConnectionRule : ILeastLoadRule
{
    public static LoadKey KeyOf(RealServerState destination)
    {
        var weight = destination.Weight;
        return new LoadKey(!destination.IsOverloaded && weight > 0, destination.Overhead, weight, Idle: false);
    }

    public static bool Replaces(in LoadKey candidate, in LoadKey best) => LoadKey.HasLowerWeightedLoad(candidate, best);
}
