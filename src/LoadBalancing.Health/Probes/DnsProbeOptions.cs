namespace LoadBalancing.Health.Probes;

/// <summary>Options of the DNS probe (keepalived <c>DNS_CHECK</c>).</summary>
public sealed record DnsProbeOptions
{
    /// <summary>Gets the port to query instead of the target's; 0 uses the target's port.</summary>
    public ushort Port { get; init; }

    /// <summary>Gets the name to query (<c>name</c>); the root <c>.</c> by default, as keepalived.</summary>
    public string Name { get; init; } = ".";

    /// <summary>Gets the query type (<c>type</c>); SOA (6) by default, as keepalived.</summary>
    public ushort QueryType { get; init; } = 6;

    /// <summary>Gets a value indicating whether the reply must carry at least one answer record.</summary>
    public bool RequireAnswer { get; init; }

    /// <summary>Gets how long to wait for the reply; 5 s by default.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);
}
