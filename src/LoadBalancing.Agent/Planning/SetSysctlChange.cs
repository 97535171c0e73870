namespace LoadBalancing.Agent.Planning;

/// <summary>Write a sysctl (relative to /proc/sys).</summary>
internal sealed record SetSysctlChange(string Name, string Current, string Desired) : AgentChange
{
    public override int Order => 0;

    public override string ToString() => $"sysctl {Name.Replace('/', '.')}: {Current} -> {Desired}";
}
