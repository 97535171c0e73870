namespace LoadBalancing.Director.Discovery;

/// <summary>
/// One service instance as a registry (Consul, the director's embedded registry) reports it, before it is mapped to
/// virtual services and real servers by <see cref="DiscoveryConvention"/>.
/// </summary>
public sealed record DiscoveredInstance
{
    /// <summary>Gets the registry's service name (one virtual service, by convention).</summary>
    public required string ServiceName { get; init; }

    /// <summary>Gets the instance ID, unique within the registry (Consul: node name + service ID).</summary>
    public required string InstanceId { get; init; }

    /// <summary>Gets the real server's address (IPv4 or IPv6 text).</summary>
    public required string Address { get; init; }

    /// <summary>Gets the real server's port.</summary>
    public int Port { get; init; }

    /// <summary>Gets the tags; <c>lb.vs=…</c> tags name the virtual services (see <see cref="DiscoveryConvention"/>).</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Gets the metadata; <c>lb-forward</c> and <c>lb-scheduler</c> are read (see <see cref="DiscoveryConvention"/>).</summary>
    public IReadOnlyDictionary<string, string> Meta { get; init; } = new Dictionary<string, string>();

    /// <summary>Gets the weight while passing (Consul <c>Weights.Passing</c>), 1..65535.</summary>
    public int PassingWeight { get; init; } = 1;

    /// <summary>Gets the weight while warning (Consul <c>Weights.Warning</c>), 0..65535.</summary>
    public int WarningWeight { get; init; } = 1;

    /// <summary>Gets the aggregated health.</summary>
    public InstanceHealth Health { get; init; }
}
