namespace LoadBalancing.Health;

/// <summary>How often and how strictly one target is checked (keepalived real_server / HAProxy server check settings).</summary>
public sealed record HealthCheckPolicy
{
    /// <summary>Gets the time between checks (<c>delay_loop</c>, HAProxy <c>inter</c>); 5 s by default.</summary>
    public TimeSpan DelayLoop { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets how many times a failed probe is retried before the check counts as failed (<c>retry</c>); 0 by default.</summary>
    public int Retry { get; init; }

    /// <summary>Gets the pause before a retry (<c>delay_before_retry</c>); 1 s by default, as keepalived.</summary>
    public TimeSpan DelayBeforeRetry { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the time one probe may take before it counts as failed (<c>connect_timeout</c>); 5 s by default.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets how many passed checks bring a down target up (HAProxy <c>rise</c>); 2 by default.</summary>
    public int Rise { get; init; } = 2;

    /// <summary>Gets how many failed checks take an up target down (HAProxy <c>fall</c>); 3 by default.</summary>
    public int Fall { get; init; } = 3;

    /// <summary>
    /// Gets the state a target starts in: <see cref="HealthState.Up"/> (keepalived's default) or
    /// <see cref="HealthState.Down"/> (keepalived <c>alpha</c>: it must pass <see cref="Rise"/> checks first).
    /// </summary>
    public HealthState InitialState { get; init; } = HealthState.Up;

    /// <summary>
    /// Gets a value indicating whether a down target keeps its place with weight 0 (<c>inhibit_on_failure</c>)
    /// instead of being removed from the pool.
    /// </summary>
    public bool InhibitOnFailure { get; init; }

    /// <summary>
    /// Gets the time over which a recovered target's weight ramps up to its full weight (HAProxy
    /// <c>slowstart</c>); zero, the default, restores the full weight at once.
    /// </summary>
    public TimeSpan SlowStart { get; init; }

    /// <summary>
    /// Gets the jitter as a fraction of <see cref="DelayLoop"/>, 0..0.5: each delay is drawn from
    /// DelayLoop × [1 − jitter, 1 + jitter], and with a non-zero jitter the first check happens at a random point
    /// of the first DelayLoop, so many targets do not fire at once. 0.1 by default.
    /// </summary>
    public double Jitter { get; init; } = 0.1;

    /// <summary>Lists what is wrong with this policy.</summary>
    /// <returns>One message per problem, naming the option; empty when valid.</returns>
    public IEnumerable<string> Validate()
    {
        if (DelayLoop <= TimeSpan.Zero)
        {
            yield return $"{nameof(DelayLoop)} must be positive.";
        }

        if (Retry < 0)
        {
            yield return $"{nameof(Retry)} must not be negative.";
        }

        if (DelayBeforeRetry < TimeSpan.Zero)
        {
            yield return $"{nameof(DelayBeforeRetry)} must not be negative.";
        }

        if (ConnectTimeout <= TimeSpan.Zero)
        {
            yield return $"{nameof(ConnectTimeout)} must be positive.";
        }

        if (Rise < 1 || Fall < 1)
        {
            yield return $"{nameof(Rise)} and {nameof(Fall)} must be at least 1.";
        }

        if (SlowStart < TimeSpan.Zero)
        {
            yield return $"{nameof(SlowStart)} must not be negative.";
        }

        if (!(Jitter is >= 0 and <= 0.5))
        {
            yield return $"{nameof(Jitter)} must be between 0 and 0.5.";
        }
    }
}
