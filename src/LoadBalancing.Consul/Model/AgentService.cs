using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>A service instance as Consul reports it (<c>/v1/agent/services</c> values, <c>Service</c> of a health entry).</summary>
public sealed record AgentService
{
    /// <summary>Instance ID.</summary>
    [JsonPropertyName("ID")]
    public string Id { get; init; } = "";

    /// <summary>Service name.</summary>
    [JsonPropertyName("Service")]
    public string Service { get; init; } = "";

    /// <summary>Tags (Consul normalises a missing list to empty).</summary>
    [JsonPropertyName("Tags")]
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Metadata.</summary>
    [JsonPropertyName("Meta")]
    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    /// <summary>Port.</summary>
    [JsonPropertyName("Port")]
    public int Port { get; init; }

    /// <summary>Address; empty means "use the node's address".</summary>
    [JsonPropertyName("Address")]
    public string Address { get; init; } = "";

    /// <summary>Tagged addresses.</summary>
    [JsonPropertyName("TaggedAddresses")]
    public IReadOnlyDictionary<string, ServiceAddress>? TaggedAddresses { get; init; }

    /// <summary>Weights; <see langword="null"/> means Consul's default 1/1.</summary>
    [JsonPropertyName("Weights")]
    public ServiceWeights? Weights { get; init; }

    /// <summary>Whether tag override is enabled.</summary>
    [JsonPropertyName("EnableTagOverride")]
    public bool EnableTagOverride { get; init; }

    /// <summary>Datacenter (agent endpoints only).</summary>
    [JsonPropertyName("Datacenter")]
    public string? Datacenter { get; init; }

    /// <summary>Raft index that created the entry (catalog/health endpoints).</summary>
    [JsonPropertyName("CreateIndex")]
    public ulong CreateIndex { get; init; }

    /// <summary>Raft index of the last change (catalog/health endpoints).</summary>
    [JsonPropertyName("ModifyIndex")]
    public ulong ModifyIndex { get; init; }
}
