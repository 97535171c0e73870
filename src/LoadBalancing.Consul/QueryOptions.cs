namespace LoadBalancing.Consul;

/// <summary>Blocking-query parameters of a read.</summary>
public sealed record QueryOptions
{
    /// <summary>Block until the data's index exceeds this (<c>?index=</c>); 0 does not block.</summary>
    public ulong Index { get; init; }

    /// <summary>Longest time to block (<c>?wait=</c>); default <see cref="ConsulClientOptions.DefaultWait"/>, capped at 10 minutes.</summary>
    public TimeSpan? Wait { get; init; }

    /// <summary>Datacenter (<c>?dc=</c>; default: the agent's).</summary>
    public string? Datacenter { get; init; }
}
