namespace LoadBalancing.Agent.Planning;

/// <summary>What the agent would change, and what it checked on the way (export available, mounts already active…).</summary>
internal sealed record AgentPlan(IReadOnlyList<AgentChange> Changes, IReadOnlyList<string> Notes)
{
    public bool IsEmpty => Changes.Count == 0;
}
