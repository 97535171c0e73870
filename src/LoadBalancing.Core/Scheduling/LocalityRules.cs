using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>The destination choices shared by lblc and lblcr.</summary>
internal static class LocalityRules
{
    /// <summary>
    /// <c>__ip_vs_lblc_schedule</c> / <c>__ip_vs_lblcr_schedule</c>, the wlc rule: start with the first
    /// destination that is not OVERLOAD and has weight &gt; 0, then take a later non-OVERLOAD destination d when
    /// <c>oh(least)·w(d) &gt; oh(d)·w(least)</c> (strict, so the earlier, newer one wins ties).
    /// </summary>
    public static RealServerState? WeightedLeastConnection(ImmutableArray<RealServerState> destinations)
    {
        RealServerState? least = null;
        var i = 0;
        for (; i < destinations.Length; i++)
        {
            var d = destinations[i];
            if (!d.IsOverloaded && d.Weight > 0)
            {
                least = d;
                break;
            }
        }

        if (least is null)
        {
            return null;
        }

        var loh = least.Overhead;
        for (i++; i < destinations.Length; i++)
        {
            var d = destinations[i];
            if (d.IsOverloaded)
            {
                continue;
            }

            var doh = d.Overhead;
            if (loh * d.Weight > doh * least.Weight)
            {
                least = d;
                loh = doh;
            }
        }

        return least;
    }

    /// <summary>
    /// lblc's and lblcr's own <c>is_overloaded</c>: more active connections than weight while some destination
    /// of the service (any, including this one) has fewer active connections than half its weight.
    /// </summary>
    public static bool IsOverloaded(RealServerState dest, ImmutableArray<RealServerState> destinations)
    {
        if (dest.ActiveConnections <= dest.Weight)
        {
            return false;
        }

        foreach (var d in destinations)
        {
            if ((long)d.ActiveConnections * 2 < d.Weight)
            {
                return true;
            }
        }

        return false;
    }
}
