namespace LoadBalancing.Health;

/// <summary>Whether a target is in the pool as far as health checking is concerned.</summary>
public enum HealthState
{
    /// <summary>Failed <c>fall</c> checks (or started down with <c>alpha</c>): weight 0, removed or inhibited.</summary>
    Down,

    /// <summary>Passed <c>rise</c> checks (or started up): in the pool with its weight, possibly ramping up.</summary>
    Up,
}
