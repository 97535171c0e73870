using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>
/// The body of <c>PUT /v1/agent/service/register</c>. Only set fields are sent. Always set <see cref="Id"/>
/// deterministically (e.g. <c>lb-web-10.0.0.5-80</c>): it defaults to the name and is unique only per agent.
/// </summary>
public sealed record ServiceRegistration
{
    /// <summary>Service instance ID, unique on the agent; restrict it to <c>[A-Za-z0-9._:-]</c>.</summary>
    [JsonPropertyName("ID")]
    public string? Id { get; init; }

    /// <summary>Logical service name (required).</summary>
    [JsonPropertyName("Name")]
    public required string Name { get; init; }

    /// <summary>Tags.</summary>
    [JsonPropertyName("Tags")]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Service address; empty means the node's address.</summary>
    [JsonPropertyName("Address")]
    public string? Address { get; init; }

    /// <summary>Service port.</summary>
    [JsonPropertyName("Port")]
    public int? Port { get; init; }

    /// <summary>Tagged addresses (<c>lan</c>, <c>wan</c>, …).</summary>
    [JsonPropertyName("TaggedAddresses")]
    public IReadOnlyDictionary<string, ServiceAddress>? TaggedAddresses { get; init; }

    /// <summary>Metadata (≤ 64 pairs, keys of <c>[A-Za-z0-9_-]</c> without the <c>consul-</c> prefix).</summary>
    [JsonPropertyName("Meta")]
    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    /// <summary>Allow anti-entropy to keep tags changed in the catalog.</summary>
    [JsonPropertyName("EnableTagOverride")]
    public bool? EnableTagOverride { get; init; }

    /// <summary>Passing/warning weights.</summary>
    [JsonPropertyName("Weights")]
    public ServiceWeights? Weights { get; init; }

    /// <summary>A single check.</summary>
    [JsonPropertyName("Check")]
    public CheckDefinition? Check { get; init; }

    /// <summary>Several checks; give each an explicit <see cref="CheckDefinition.CheckId"/>.</summary>
    [JsonPropertyName("Checks")]
    public IReadOnlyList<CheckDefinition>? Checks { get; init; }
}
