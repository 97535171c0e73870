namespace LoadBalancing.Director.Discovery;

/// <summary>Health of a discovered instance, ordered so that a larger value is worse (Consul's ranking).</summary>
public enum InstanceHealth
{
    /// <summary>Every check passes: the instance gets <see cref="DiscoveredInstance.PassingWeight"/>.</summary>
    Passing = 0,

    /// <summary>A check warns: the instance gets <see cref="DiscoveredInstance.WarningWeight"/>.</summary>
    Warning = 1,

    /// <summary>A check is critical (or a TTL heartbeat is overdue): quiesced at once (weight 0), removed after the grace period.</summary>
    Critical = 2,

    /// <summary>The instance or its node is in maintenance mode (drained): quiesced like <see cref="Critical"/>.</summary>
    Maintenance = 3,
}
