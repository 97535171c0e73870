namespace LoadBalancing.Director.Discovery.Registry;

/// <summary>A validated registration in the embedded registry.</summary>
internal sealed record RegistryRegistration
{
    public required DiscoveredInstance Instance { get; init; }

    public required TimeSpan Ttl { get; init; }

    public required TimeSpan DeregisterCriticalAfter { get; init; }

    /// <summary>The status until the first heartbeat (<see cref="InstanceHealth.Critical"/> unless the agent verified the server).</summary>
    public InstanceHealth InitialStatus { get; init; } = InstanceHealth.Critical;

    /// <summary>The registration as the agent sent it, for listings.</summary>
    public required Grpc.Registry.Instance Message { get; init; }
}
