namespace LoadBalancing.Consul.Watch;

/// <summary>Timing of a blocking-query watch.</summary>
public sealed record ConsulWatchOptions
{
    /// <summary>Blocking wait per query; <see langword="null"/> uses <see cref="ConsulClientOptions.DefaultWait"/>.</summary>
    public TimeSpan? Wait { get; init; }

    /// <summary>First retry delay after an error; it doubles per consecutive failure.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Largest retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Token-bucket burst for successful queries. A stale index makes Consul answer at once, and a churning
    /// service wakes every watcher; the bucket turns such loops into polling at <see cref="RateLimitInterval"/>
    /// instead of a busy loop, with no delay at all in the quiet case.
    /// </summary>
    public int RateLimitBurst { get; init; } = 2;

    /// <summary>
    /// One token per interval. Consul's docs suggest about 15 s; the default of 1 s keeps the director's
    /// "reacts within a second" promise and is still harmless for a local agent.
    /// </summary>
    public TimeSpan RateLimitInterval { get; init; } = TimeSpan.FromSeconds(1);
}
