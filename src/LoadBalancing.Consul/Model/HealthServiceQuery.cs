namespace LoadBalancing.Consul.Model;

/// <summary>Filters of <c>GET /v1/health/service/:service</c>.</summary>
public sealed record HealthServiceQuery
{
    /// <summary>
    /// Only instances whose every check (service and node) passes (<c>?passing</c>); warning instances are then
    /// dropped. A director usually leaves this off and uses <see cref="ServiceEntry.EffectiveWeight"/>.
    /// </summary>
    public bool PassingOnly { get; init; }

    /// <summary>Tags that must all be present (<c>?tag=</c>, repeated; deprecated by Consul in favour of <see cref="Filter"/>).</summary>
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>A go-bexpr filter such as <c>Service.Meta.vip == "10.0.0.1"</c>.</summary>
    public string? Filter { get; init; }

    /// <summary>Datacenter (default: the agent's).</summary>
    public string? Datacenter { get; init; }
}
