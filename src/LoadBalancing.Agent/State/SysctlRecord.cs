namespace LoadBalancing.Agent.State;

/// <summary>A sysctl the agent set, with its value before the agent first wrote it.</summary>
internal sealed record SysctlRecord(string Name, string Previous);
