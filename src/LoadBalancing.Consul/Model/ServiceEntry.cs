using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>One instance in a <c>/v1/health/service/:service</c> answer: its node, the service and all checks (service and node).</summary>
public sealed record ServiceEntry
{
    /// <summary>The node the instance runs on.</summary>
    [JsonPropertyName("Node")]
    public CatalogNode Node { get; init; } = new();

    /// <summary>The service instance.</summary>
    [JsonPropertyName("Service")]
    public AgentService Service { get; init; } = new();

    /// <summary>Service checks and node checks together.</summary>
    [JsonPropertyName("Checks")]
    public IReadOnlyList<HealthCheck> Checks { get; init; } = [];

    /// <summary>The address to send traffic to: the service address, or the node's when the service's is empty.</summary>
    [JsonIgnore]
    public string EffectiveAddress => Service.Address.Length > 0 ? Service.Address : Node.Address;

    /// <summary>
    /// The instance's aggregated health over all its checks, service and node ones:
    /// maintenance &gt; critical &gt; warning &gt; passing (the ranking of Consul's own aggregation).
    /// No checks at all is passing.
    /// </summary>
    /// <returns>The worst status.</returns>
    public HealthStatus AggregateStatus()
    {
        var worst = HealthStatus.Passing;
        foreach (var check in Checks)
        {
            var status = check.GetStatus();
            if (status > worst)
            {
                worst = status;
            }
        }

        return worst;
    }

    /// <summary>
    /// The weight for this instance: <see cref="ServiceWeights.Passing"/> when passing,
    /// <see cref="ServiceWeights.Warning"/> when warning (missing weights are 1/1), 0 when critical or in maintenance.
    /// </summary>
    /// <returns>The weight.</returns>
    public int EffectiveWeight() => AggregateStatus() switch
    {
        HealthStatus.Passing => Service.Weights?.Passing ?? 1,
        HealthStatus.Warning => Service.Weights?.Warning ?? 1,
        _ => 0,
    };
}
