namespace LoadBalancing.Agent.Planning;

/// <summary>One change the agent would make on this host; <see cref="ToString"/> is the line <c>plan</c> prints.</summary>
internal abstract record AgentChange
{
    /// <summary>Execution order: ARP suppression before the VIP exists (else the host answers ARP for the VIP in between and steals the director's traffic), mounts last.</summary>
    public abstract int Order { get; }
}
