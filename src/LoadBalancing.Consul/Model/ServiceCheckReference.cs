using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>A service check a session is bound to (<c>ServiceChecks</c>).</summary>
public sealed record ServiceCheckReference
{
    /// <summary>Check ID.</summary>
    [JsonPropertyName("ID")]
    public string Id { get; init; } = "";

    /// <summary>Namespace (enterprise; leave empty).</summary>
    [JsonPropertyName("Namespace")]
    public string? Namespace { get; init; }
}
