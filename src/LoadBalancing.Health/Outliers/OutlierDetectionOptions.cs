namespace LoadBalancing.Health.Outliers;

/// <summary>
/// Passive ejection settings, with the names and defaults of Envoy's <c>OutlierDetection</c> and gRPC A50
/// (<c>outlier_detection</c> LB policy). Each virtual service is one pool: percentages and host minimums count
/// its real servers.
/// </summary>
public sealed record OutlierDetectionOptions
{
    /// <summary>Gets the time between analysis sweeps (ejections by rate, returns after the ejection time); 10 s by default.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets the base ejection time: the n-th recent ejection lasts n times this; 30 s by default.</summary>
    public TimeSpan BaseEjectionTime { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets the longest an ejection lasts (or <see cref="BaseEjectionTime"/> when that is larger); 300 s by default.</summary>
    public TimeSpan MaxEjectionTime { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Gets the most servers of a service, in percent, that may be ejected at once; 10 by default. An ejection
    /// that would go over it is skipped, except that one server may always be ejected (as A50 and Envoy).
    /// </summary>
    public int MaxEjectionPercent { get; init; } = 10;

    /// <summary>
    /// Gets the number of failures in a row (no success between them) that ejects a server at once, Envoy's
    /// <c>consecutive_5xx</c> for TCP: 5 by default; 0 turns it off.
    /// </summary>
    public int ConsecutiveFailures { get; init; } = 5;

    /// <summary>Gets the chance in percent that <see cref="ConsecutiveFailures"/> ejects; 100 by default.</summary>
    public int ConsecutiveFailuresEnforcementPercentage { get; init; } = 100;

    /// <summary>Gets the success-rate ejection, run every <see cref="Interval"/>; on with its defaults by default, <see langword="null"/> turns it off.</summary>
    public SuccessRateEjectionOptions? SuccessRate { get; init; } = new();

    /// <summary>Gets the failure-percentage ejection, run every <see cref="Interval"/>; off (<see langword="null"/>) by default, as in Envoy.</summary>
    public FailurePercentageEjectionOptions? FailurePercentage { get; init; }

    /// <summary>Gets how long the n-th recent ejection lasts: min(base × n, max(base, max ejection time)), as A50.</summary>
    /// <param name="multiplier">The ejection time multiplier, at least 1.</param>
    /// <returns>The ejection time.</returns>
    public TimeSpan EjectionTime(int multiplier)
    {
        var cap = BaseEjectionTime > MaxEjectionTime ? BaseEjectionTime : MaxEjectionTime;
        var time = BaseEjectionTime.Ticks > 0 && multiplier > cap.Ticks / BaseEjectionTime.Ticks ? cap : BaseEjectionTime * multiplier;
        return time < cap ? time : cap;
    }

    /// <summary>Lists what is wrong with these options.</summary>
    /// <returns>One message per problem, naming the option; empty when valid.</returns>
    public IEnumerable<string> Validate()
    {
        if (Interval <= TimeSpan.Zero)
        {
            yield return $"{nameof(Interval)} must be positive.";
        }

        if (BaseEjectionTime < TimeSpan.Zero || MaxEjectionTime < TimeSpan.Zero)
        {
            yield return $"{nameof(BaseEjectionTime)} and {nameof(MaxEjectionTime)} must not be negative.";
        }

        if (MaxEjectionPercent is < 0 or > 100)
        {
            yield return $"{nameof(MaxEjectionPercent)} must be between 0 and 100.";
        }

        if (ConsecutiveFailures < 0)
        {
            yield return $"{nameof(ConsecutiveFailures)} must not be negative.";
        }

        if (ConsecutiveFailuresEnforcementPercentage is < 0 or > 100)
        {
            yield return $"{nameof(ConsecutiveFailuresEnforcementPercentage)} must be between 0 and 100.";
        }

        foreach (var problem in SuccessRate?.Validate(nameof(SuccessRate)) ?? [])
        {
            yield return problem;
        }

        foreach (var problem in FailurePercentage?.Validate(nameof(FailurePercentage)) ?? [])
        {
            yield return problem;
        }
    }
}
