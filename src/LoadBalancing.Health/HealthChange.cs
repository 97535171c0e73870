namespace LoadBalancing.Health;

/// <summary>A target's health state or effective weight changed.</summary>
/// <param name="Target">The target.</param>
/// <param name="PreviousState">The state before; equal to <paramref name="State"/> for a weight-only change or the initial report.</param>
/// <param name="State">The state now.</param>
/// <param name="Weight">The effective weight now: 0 when down, ramping during slow start, else the full or dynamic weight.</param>
/// <param name="Reason">Why the last check failed, when <paramref name="State"/> is down.</param>
/// <param name="Timestamp">When the change happened, from the checker's <see cref="TimeProvider"/>.</param>
public sealed record HealthChange(HealthCheckTarget Target, HealthState PreviousState, HealthState State, int Weight, string? Reason, DateTimeOffset Timestamp)
{
    /// <summary>
    /// Gets a value indicating whether the target should be out of the pool rather than kept with weight 0:
    /// it is down and its policy does not set <see cref="HealthCheckPolicy.InhibitOnFailure"/>.
    /// </summary>
    public bool IsRemoved => State == HealthState.Down && !Target.Policy.InhibitOnFailure;
}
