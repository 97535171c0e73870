using LoadBalancing.Runtime;

namespace LoadBalancing.Health.Outliers;

/// <summary>
/// One real server's passive health: A50's call counter (an active bucket counted lock-free by reporters, and the
/// last interval's totals), the consecutive-failure count, and the ejection state.
/// </summary>
internal sealed class OutlierEntry(RealServerState destination)
{
    private long _successes;
    private long _failures;
    private int _consecutiveFailures;

    public RealServerState Destination { get; } = destination;

    /// <summary>Gets the successes of the last complete interval (the inactive bucket).</summary>
    public long IntervalSuccesses { get; private set; }

    /// <summary>Gets the failures of the last complete interval (the inactive bucket).</summary>
    public long IntervalFailures { get; private set; }

    public long IntervalVolume => IntervalSuccesses + IntervalFailures;

    /// <summary>Gets or sets when the current ejection started; <see langword="null"/> when not ejected. Guarded by the detector's lock.</summary>
    public DateTimeOffset? EjectedAt { get; set; }

    /// <summary>Gets or sets the ejection time multiplier (A50), starting at 0. Guarded by the detector's lock.</summary>
    public int Multiplier { get; set; }

    public bool IsEjected => EjectedAt is not null;

    public void Success()
    {
        Interlocked.Increment(ref _successes);
        Volatile.Write(ref _consecutiveFailures, 0);
    }

    /// <summary>Counts a failure.</summary>
    /// <returns>The failures in a row now.</returns>
    public int Failure()
    {
        Interlocked.Increment(ref _failures);
        return Interlocked.Increment(ref _consecutiveFailures);
    }

    public void ResetConsecutive() => Volatile.Write(ref _consecutiveFailures, 0);

    /// <summary>A50: zero the inactive bucket and swap it with the active one.</summary>
    public void SwapBuckets()
    {
        IntervalSuccesses = Interlocked.Exchange(ref _successes, 0);
        IntervalFailures = Interlocked.Exchange(ref _failures, 0);
    }

    public void ResetCounters()
    {
        Interlocked.Exchange(ref _successes, 0);
        Interlocked.Exchange(ref _failures, 0);
        IntervalSuccesses = 0;
        IntervalFailures = 0;
        ResetConsecutive();
    }
}
