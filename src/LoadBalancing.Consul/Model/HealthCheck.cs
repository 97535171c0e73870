using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>
/// A check and its current state (<c>/v1/agent/checks</c> values, <c>Checks</c> of a health entry).
/// A check with an empty <see cref="ServiceId"/> is a node check (<c>serfHealth</c>, <c>_node_maintenance</c>)
/// and applies to every service on that node.
/// </summary>
public sealed record HealthCheck
{
    /// <summary>Node name.</summary>
    [JsonPropertyName("Node")]
    public string Node { get; init; } = "";

    /// <summary>Check ID.</summary>
    [JsonPropertyName("CheckID")]
    public string CheckId { get; init; } = "";

    /// <summary>Check name.</summary>
    [JsonPropertyName("Name")]
    public string Name { get; init; } = "";

    /// <summary>Wire status: <c>passing</c>, <c>warning</c> or <c>critical</c>.</summary>
    [JsonPropertyName("Status")]
    public string Status { get; init; } = "";

    /// <summary>Notes.</summary>
    [JsonPropertyName("Notes")]
    public string Notes { get; init; } = "";

    /// <summary>Output of the last check run (or the note of the last TTL update).</summary>
    [JsonPropertyName("Output")]
    public string Output { get; init; } = "";

    /// <summary>Service instance ID, empty for node checks.</summary>
    [JsonPropertyName("ServiceID")]
    public string ServiceId { get; init; } = "";

    /// <summary>Service name, empty for node checks.</summary>
    [JsonPropertyName("ServiceName")]
    public string ServiceName { get; init; } = "";

    /// <summary>Tags of the service.</summary>
    [JsonPropertyName("ServiceTags")]
    public IReadOnlyList<string>? ServiceTags { get; init; }

    /// <summary>Check type (<c>http</c>, <c>tcp</c>, <c>ttl</c>, …; may be empty).</summary>
    [JsonPropertyName("Type")]
    public string? Type { get; init; }

    /// <summary>Raft index that created the check.</summary>
    [JsonPropertyName("CreateIndex")]
    public ulong CreateIndex { get; init; }

    /// <summary>Raft index of the last change.</summary>
    [JsonPropertyName("ModifyIndex")]
    public ulong ModifyIndex { get; init; }

    /// <summary>
    /// This check's status as a <see cref="HealthStatus"/>: the reserved maintenance check IDs
    /// (<c>_node_maintenance</c>, <c>_service_maintenance:*</c>) give <see cref="HealthStatus.Maintenance"/>;
    /// an unknown status counts as critical so that it can never put a server into a pool.
    /// </summary>
    /// <returns>The status.</returns>
    public HealthStatus GetStatus()
    {
        if (CheckId == "_node_maintenance" || CheckId.StartsWith("_service_maintenance:", StringComparison.Ordinal))
        {
            return HealthStatus.Maintenance;
        }

        return Status switch
        {
            "passing" => HealthStatus.Passing,
            "warning" => HealthStatus.Warning,
            _ => HealthStatus.Critical,
        };
    }
}
