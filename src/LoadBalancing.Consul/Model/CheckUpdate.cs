using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>The body of <c>PUT /v1/agent/check/update/:check_id</c>.</summary>
internal sealed record CheckUpdate
{
    [JsonPropertyName("Status")]
    public required string Status { get; init; }

    [JsonPropertyName("Output")]
    public string? Output { get; init; }
}
