namespace LoadBalancing.Consul;

/// <summary>Metadata Consul returns with a read (the <c>X-Consul-*</c> headers).</summary>
public sealed record QueryMeta
{
    /// <summary><c>X-Consul-Index</c>: the index to block on next; 0 when the header was absent.</summary>
    public ulong LastIndex { get; init; }

    /// <summary><c>X-Consul-KnownLeader</c>.</summary>
    public bool? KnownLeader { get; init; }

    /// <summary><c>X-Consul-LastContact</c>: time since the answering server heard from the leader.</summary>
    public TimeSpan? LastContact { get; init; }

    /// <summary><c>X-Consul-Effective-Consistency</c>: <c>leader</c>, <c>stale</c> or <c>consistent</c>.</summary>
    public string? EffectiveConsistency { get; init; }

    /// <summary><c>X-Consul-Query-Backend</c>: <c>blocking-query</c> or <c>streaming</c>.</summary>
    public string? QueryBackend { get; init; }

    /// <summary><c>X-Consul-Default-Acl-Policy</c>: <c>allow</c> or <c>deny</c>.</summary>
    public string? DefaultAclPolicy { get; init; }

    /// <summary><c>X-Consul-Results-Filtered-By-Acls</c>: ACLs removed part of the answer.</summary>
    public bool ResultsFilteredByAcls { get; init; }
}
