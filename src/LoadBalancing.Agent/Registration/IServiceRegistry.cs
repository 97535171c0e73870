namespace LoadBalancing.Agent.Registration;

/// <summary>Where the agent registers: the local Consul agent, or the director's embedded registry.</summary>
internal interface IServiceRegistry : IDisposable
{
    /// <summary>Gets a short description for logs (<c>consul http://127.0.0.1:8500/</c>).</summary>
    string Description { get; }

    /// <summary>Registers (or re-registers, idempotently) an instance with its check.</summary>
    Task RegisterAsync(AgentRegistration registration, CancellationToken cancellationToken);

    /// <summary>
    /// Keeps the registration alive: reports a TTL check's status, or (a check the registry runs itself) verifies the
    /// registration still exists. Returns <see langword="false"/> when the registry lost it (restart, reaper): register again.
    /// Throws for transient failures (unreachable), which the caller retries on the next beat.
    /// </summary>
    Task<bool> HeartbeatAsync(AgentRegistration registration, bool healthy, string output, CancellationToken cancellationToken);

    /// <summary>Removes an instance; <see langword="false"/> when it was not registered.</summary>
    Task<bool> DeregisterAsync(AgentRegistration registration, CancellationToken cancellationToken);

    /// <summary>Puts an instance into maintenance (drain) or takes it out; <see langword="false"/> when it is not registered.</summary>
    Task<bool> SetMaintenanceAsync(AgentRegistration registration, bool enable, string? reason, CancellationToken cancellationToken);
}
