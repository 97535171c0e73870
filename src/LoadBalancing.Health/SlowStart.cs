namespace LoadBalancing.Health;

/// <summary>The weight of a recovering target during slow start, as HAProxy's <c>server_recalc_eweight</c>.</summary>
internal static class SlowStart
{
    /// <summary>Number of weight steps over the slow-start period; the ramp timer ticks this often.</summary>
    public const int Steps = 16;

    /// <summary>
    /// ⌈weight × elapsed / period⌉, at least 1 while the full weight is positive: a recovered server gets a
    /// trickle of new connections from the start (weight 0 would quiesce it), then its full share at the end.
    /// </summary>
    public static int Weight(int fullWeight, TimeSpan elapsed, TimeSpan period)
    {
        if (fullWeight == 0 || period <= TimeSpan.Zero || elapsed >= period)
        {
            return fullWeight;
        }

        if (elapsed <= TimeSpan.Zero)
        {
            return 1;
        }

        // Integer ceiling of fullWeight * elapsed / period in ticks; fullWeight <= 65535 keeps it in range for
        // periods up to ~4 years of ticks.
        var ramped = (int)((((Int128)fullWeight * elapsed.Ticks) + period.Ticks - 1) / period.Ticks);
        return Math.Clamp(ramped, 1, fullWeight);
    }
}
