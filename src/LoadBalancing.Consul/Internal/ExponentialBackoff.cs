namespace LoadBalancing.Consul.Internal;

/// <summary>
/// Retry delays after consecutive failures: <c>base · 2^(n-1)</c> capped at <c>max</c>, then "equal jitter" — a
/// uniformly random point in the upper half [d/2, d] — so that directors restarted together do not retry in
/// lock-step, yet never retry sooner than half the nominal delay (Consul's outage logs fill up otherwise,
/// cf. vip-manager #33).
/// </summary>
internal sealed class ExponentialBackoff(TimeSpan baseDelay, TimeSpan maxDelay, Func<double> random)
{
    /// <summary>The delay before retry number <paramref name="failures"/> (1-based).</summary>
    public TimeSpan Next(int failures)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failures, 1);

        // 2^(n-1) overflows nothing here: the exponent is clamped long before doubles lose the cap.
        var nominal = baseDelay * Math.Pow(2, Math.Min(failures - 1, 30));
        if (nominal > maxDelay)
        {
            nominal = maxDelay;
        }

        return nominal * (0.5 + (0.5 * random()));
    }
}
