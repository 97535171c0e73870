using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>The answer of <c>PUT /v1/session/create</c>.</summary>
internal sealed record SessionCreated
{
    [JsonPropertyName("ID")]
    public string Id { get; init; } = "";
}
