namespace LoadBalancing.Cli;

/// <summary>The five counters.</summary>
internal sealed record JsonCounters(ulong Conns, ulong InPkts, ulong OutPkts, ulong InBytes, ulong OutBytes);
