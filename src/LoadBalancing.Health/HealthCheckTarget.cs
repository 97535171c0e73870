namespace LoadBalancing.Health;

/// <summary>One thing the checker watches: a named endpoint, the probe for it, its policy and its full weight.</summary>
public sealed class HealthCheckTarget
{
    /// <summary>Initializes a target.</summary>
    /// <param name="name">A unique name, used in events, logs and metrics.</param>
    /// <param name="endpoint">The address and port handed to the probe.</param>
    /// <param name="probe">The probe.</param>
    /// <param name="policy">The schedule and thresholds; defaults when <see langword="null"/>.</param>
    /// <param name="weight">The weight when up and fully ramped, 0..65535.</param>
    /// <exception cref="ArgumentException">The policy is invalid; the message names the option.</exception>
    public HealthCheckTarget(string name, ProbeTarget endpoint, IHealthProbe probe, HealthCheckPolicy? policy = null, int weight = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, Model.RealServerConfig.MaxWeight);
        policy ??= new HealthCheckPolicy();
        var problems = string.Join(" ", policy.Validate());
        if (problems.Length > 0)
        {
            throw new ArgumentException($"Health check policy of '{name}' is invalid: {problems}", nameof(policy));
        }

        Name = name;
        Endpoint = endpoint;
        Probe = probe;
        Policy = policy;
        Weight = weight;
    }

    /// <summary>Gets the target's unique name.</summary>
    public string Name { get; }

    /// <summary>Gets the address and port handed to the probe.</summary>
    public ProbeTarget Endpoint { get; }

    /// <summary>Gets the probe.</summary>
    public IHealthProbe Probe { get; }

    /// <summary>Gets the schedule and thresholds.</summary>
    public HealthCheckPolicy Policy { get; }

    /// <summary>Gets the full weight when up.</summary>
    public int Weight { get; }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} ({Probe.Name} {Endpoint})";
}
