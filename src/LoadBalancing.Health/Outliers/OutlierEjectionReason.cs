namespace LoadBalancing.Health.Outliers;

/// <summary>Why a real server was ejected or returned.</summary>
public enum OutlierEjectionReason
{
    /// <summary>Returned to the pool: its ejection time is over.</summary>
    EjectionTimeElapsed,

    /// <summary>Ejected after <see cref="OutlierDetectionOptions.ConsecutiveFailures"/> failures in a row (Envoy <c>consecutive_5xx</c>).</summary>
    ConsecutiveFailures,

    /// <summary>Ejected because its success rate was a statistical outlier among the service's servers (A50 success rate).</summary>
    SuccessRate,

    /// <summary>Ejected because its failure percentage was above the threshold (A50 failure percentage).</summary>
    FailurePercentage,
}
