using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>The <c>Node</c> of a health entry.</summary>
public sealed record CatalogNode
{
    /// <summary>Node UUID.</summary>
    [JsonPropertyName("ID")]
    public string Id { get; init; } = "";

    /// <summary>Node name.</summary>
    [JsonPropertyName("Node")]
    public string Node { get; init; } = "";

    /// <summary>Node address, used when the service address is empty.</summary>
    [JsonPropertyName("Address")]
    public string Address { get; init; } = "";

    /// <summary>Datacenter.</summary>
    [JsonPropertyName("Datacenter")]
    public string Datacenter { get; init; } = "";

    /// <summary>Tagged addresses; for nodes the values are plain address strings.</summary>
    [JsonPropertyName("TaggedAddresses")]
    public IReadOnlyDictionary<string, string>? TaggedAddresses { get; init; }

    /// <summary>Node metadata.</summary>
    [JsonPropertyName("Meta")]
    public IReadOnlyDictionary<string, string>? Meta { get; init; }

    /// <summary>Raft index that created the node.</summary>
    [JsonPropertyName("CreateIndex")]
    public ulong CreateIndex { get; init; }

    /// <summary>Raft index of the last change.</summary>
    [JsonPropertyName("ModifyIndex")]
    public ulong ModifyIndex { get; init; }
}
