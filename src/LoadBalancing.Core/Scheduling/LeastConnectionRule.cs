using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// lc, as <c>net/netfilter/ipvs/ip_vs_lc.c</c>: among destinations that are not OVERLOAD and whose weight
/// is not 0, the one with the least <c>(act &lt;&lt; 8) + inact</c>; weights are otherwise ignored.
/// </summary>
/// <remarks>
/// The comment in ip_vs_lc.c still says <c>activeconns&lt;&lt;5</c>, but the code calls the shared
/// <c>ip_vs_dest_conn_overhead</c>, which shifts by 8. The kernel compares <c>doh &lt; loh</c> as unsigned
/// ints; overheads are never negative, so a signed compare is the same.
/// </remarks>
internal readonly struct LeastConnectionRule : ILeastLoadRule
{
    public static LoadKey KeyOf(RealServerState destination)
    {
        var weight = destination.Weight;
        return new LoadKey(!destination.IsOverloaded && weight != 0, destination.Overhead, weight, Idle: false);
    }

    // Strict "<": the first (newest) destination wins ties.
    public static bool Replaces(in LoadKey candidate, in LoadKey best) => candidate.Load < best.Load;
}
