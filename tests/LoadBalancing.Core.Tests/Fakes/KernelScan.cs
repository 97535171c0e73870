using LoadBalancing.Runtime;

namespace LoadBalancing.Tests.Fakes;

/// <summary>
/// Straight transcriptions of the kernel's linear scans (ip_vs_lc.c, ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c, ip_vs_fo.c, ip_vs_ovf.c),
/// the oracle the indexed schedulers are checked against. Deliberately independent of the production
/// rules: it includes what the kernel includes (e.g. weight-0 entries after the first wlc candidate).
/// </summary>
internal static class KernelScan
{
    public static RealServerState? Pick(string scheduler, IReadOnlyList<RealServerState> list) => scheduler switch
    {
        "lc" => LeastConnection(list),
        "wlc" => WeightedLeastConnection(list),
        "sed" => ShortestExpectedDelay(list),
        "nq" => NeverQueue(list),
        "fo" => WeightedFailover(list),
        "ovf" => WeightedOverflow(list),
        _ => throw new ArgumentOutOfRangeException(nameof(scheduler), scheduler, "no kernel scan for this scheduler"),
    };

    // ip_vs_dest_conn_overhead.
    public static long ConnOverhead(RealServerState dest) => ((long)dest.ActiveConnections << 8) + dest.InactiveConnections;

    public static RealServerState? LeastConnection(IReadOnlyList<RealServerState> list)
    {
        RealServerState? least = null;
        long loh = 0;
        foreach (var dest in list)
        {
            if (dest.IsOverloaded || dest.Weight == 0)
            {
                continue;
            }

            var doh = ConnOverhead(dest);
            if (least is null || doh < loh)
            {
                least = dest;
                loh = doh;
            }
        }

        return least;
    }

    public static RealServerState? WeightedLeastConnection(IReadOnlyList<RealServerState> list)
        => WeightedScan(list, ConnOverhead);

    public static RealServerState? ShortestExpectedDelay(IReadOnlyList<RealServerState> list)
        => WeightedScan(list, d => d.ActiveConnections + 1L);

    public static RealServerState? NeverQueue(IReadOnlyList<RealServerState> list)
    {
        RealServerState? least = null;
        long loh = 0;
        foreach (var dest in list)
        {
            if (dest.IsOverloaded || dest.Weight == 0)
            {
                continue;
            }

            var doh = dest.ActiveConnections + 1L;
            if (dest.ActiveConnections == 0)
            {
                return dest;
            }

            if (least is null || loh * dest.Weight > doh * least.Weight)
            {
                least = dest;
                loh = doh;
            }
        }

        return least;
    }

    // The wlc/sed shape: start at the first non-OVERLOAD entry with weight > 0, then every later
    // non-OVERLOAD entry (whatever its weight) replaces it when loh * w(d) > doh * w(least).
    private static RealServerState? WeightedScan(IReadOnlyList<RealServerState> list, Func<RealServerState, long> overhead)
    {
        var i = 0;
        RealServerState? least = null;
        for (; i < list.Count; i++)
        {
            if (!list[i].IsOverloaded && list[i].Weight > 0)
            {
                least = list[i];
                break;
            }
        }

        if (least is null)
        {
            return null;
        }

        var loh = overhead(least);
        for (i++; i < list.Count; i++)
        {
            var dest = list[i];
            if (dest.IsOverloaded)
            {
                continue;
            }

            var doh = overhead(dest);
            if (loh * dest.Weight > doh * least.Weight)
            {
                least = dest;
                loh = doh;
            }
        }

        return least;
    }

    // ip_vs_fo_schedule: hw starts at 0, a destination replaces the current one only when strictly heavier.
    public static RealServerState? WeightedFailover(IReadOnlyList<RealServerState> list)
    {
        RealServerState? hweight = null;
        var hw = 0;
        foreach (var dest in list)
        {
            if (!dest.IsOverloaded && dest.Weight > hw)
            {
                hweight = dest;
                hw = dest.Weight;
            }
        }

        return hweight;
    }

    // ip_vs_ovf_schedule: skip OVERLOAD, act > weight and weight 0; keep the first of the highest weight.
    public static RealServerState? WeightedOverflow(IReadOnlyList<RealServerState> list)
    {
        RealServerState? h = null;
        foreach (var dest in list)
        {
            var w = dest.Weight;
            if (dest.IsOverloaded || dest.ActiveConnections > w || w == 0)
            {
                continue;
            }

            if (h is null || w > h.Weight)
            {
                h = dest;
            }
        }

        return h;
    }

    /// <summary>
    /// ip_vs_twos_schedule's two walks for given draws (each in [0, W] where W is the eligible weight sum):
    /// subtract each eligible weight from both draws and take, for each, the first destination where it drops
    /// to &lt;= 0; return choice 2 when <c>w2 * oh1 &gt; w1 * oh2</c> (32-bit wrapping, as the kernel).
    /// </summary>
    public static RealServerState? TwoChoices(IReadOnlyList<RealServerState> list, int rweight1, int rweight2)
    {
        RealServerState? choice1 = null, choice2 = null;
        int weight1 = -1, weight2 = -1, overhead1 = 0, overhead2 = 0;
        unchecked
        {
            foreach (var dest in list)
            {
                var weight = dest.Weight;
                if (dest.IsOverloaded || weight <= 0)
                {
                    continue;
                }

                rweight1 -= weight;
                rweight2 -= weight;
                if (rweight1 <= 0 && weight1 == -1)
                {
                    (choice1, weight1, overhead1) = (dest, weight, (dest.ActiveConnections << 8) + dest.InactiveConnections);
                }

                if (rweight2 <= 0 && weight2 == -1)
                {
                    (choice2, weight2, overhead2) = (dest, weight, (dest.ActiveConnections << 8) + dest.InactiveConnections);
                }
            }

            return choice2 is not null && weight2 * overhead1 > weight1 * overhead2 ? choice2 : choice1;
        }
    }
}
