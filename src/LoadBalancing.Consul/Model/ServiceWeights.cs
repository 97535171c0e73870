using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>
/// Consul service weights: the DNS SRV weight of an instance while its checks are passing or warning.
/// Consul requires <see cref="Passing"/> ≥ 1 and <see cref="Warning"/> ≥ 0, both ≤ 65535; missing means 1/1.
/// </summary>
public sealed record ServiceWeights
{
    /// <summary>Weight while every check is passing (maps to the IPVS weight of a healthy real server).</summary>
    [JsonPropertyName("Passing")]
    public int Passing { get; init; } = 1;

    /// <summary>Weight while a check is warning (0 quiesces the real server, like <c>ipvsadm -w 0</c>).</summary>
    [JsonPropertyName("Warning")]
    public int Warning { get; init; } = 1;
}
