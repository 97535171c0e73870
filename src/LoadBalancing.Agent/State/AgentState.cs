namespace LoadBalancing.Agent.State;

/// <summary>
/// What the agent changed, written before it changes anything: the value each sysctl had before the agent first
/// touched it, the addresses and units it added. <c>revert</c> undoes exactly this.
/// </summary>
internal sealed record AgentState
{
    public int Version { get; init; } = 1;

    public List<SysctlRecord> Sysctls { get; init; } = [];

    public List<AddressRecord> Addresses { get; init; } = [];

    public List<MountRecord> Mounts { get; init; } = [];

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => Sysctls.Count == 0 && Addresses.Count == 0 && Mounts.Count == 0;
}
