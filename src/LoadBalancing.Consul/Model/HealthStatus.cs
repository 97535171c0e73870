namespace LoadBalancing.Consul.Model;

/// <summary>Health of a check or of a whole service instance, ordered so that a larger value is worse.</summary>
public enum HealthStatus
{
    /// <summary>Every check passes: the instance takes traffic with <see cref="ServiceWeights.Passing"/>.</summary>
    Passing = 0,

    /// <summary>At least one check warns: the instance takes traffic with <see cref="ServiceWeights.Warning"/>.</summary>
    Warning = 1,

    /// <summary>At least one check is critical: no traffic.</summary>
    Critical = 2,

    /// <summary>The node or the service is in maintenance mode (a critical check with a reserved ID): no traffic.</summary>
    Maintenance = 3,
}
