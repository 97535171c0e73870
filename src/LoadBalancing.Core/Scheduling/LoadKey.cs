namespace LoadBalancing.Scheduling;

/// <summary>
/// What the least-load schedulers (lc, wlc, sed, nq) know about one destination: a snapshot of its load,
/// weight and eligibility, taken when the destination's counters or the destination list last changed.
/// </summary>
/// <param name="Eligible">Whether the scheduler may choose the destination at all (not OVERLOAD, weight rule).</param>
/// <param name="Load">The scheduler's overhead: <c>(act &lt;&lt; 8) + inact</c> for lc/wlc, <c>act + 1</c> for sed/nq.</param>
/// <param name="Weight">The destination's weight.</param>
/// <param name="Idle">Whether the destination has no active connection (nq returns the first idle one).</param>
internal readonly record struct LoadKey(bool Eligible, long Load, int Weight, bool Idle)
{
    /// <summary>
    /// The kernel's weighted comparison (ip_vs_wlc.c, ip_vs_sed.c, ip_vs_nq.c): the candidate replaces the
    /// current best when <c>loh * w(candidate) &gt; doh * w(best)</c>, i.e. <c>loh/w(best) &gt; doh/w(candidate)</c>
    /// without division. Strict, so on equal ratios the earlier destination in the list stays.
    /// </summary>
    /// <remarks>
    /// The kernel multiplies an <c>int</c> overhead by an <c>int</c> weight in <c>__s64</c>; our loads are
    /// <see langword="long"/> and weights at most 65 535, so the products stay far below 2^63.
    /// </remarks>
    public static bool HasLowerWeightedLoad(in LoadKey candidate, in LoadKey best)
        => best.Load * candidate.Weight > candidate.Load * best.Weight;
}
