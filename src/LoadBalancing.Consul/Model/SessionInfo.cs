using System.Text.Json.Serialization;
using LoadBalancing.Consul.Internal;

namespace LoadBalancing.Consul.Model;

/// <summary>A session as Consul reports it (<c>/v1/session/info</c>, <c>/v1/session/renew</c>).</summary>
public sealed record SessionInfo
{
    /// <summary>Session UUID.</summary>
    [JsonPropertyName("ID")]
    public string Id { get; init; } = "";

    /// <summary>Name.</summary>
    [JsonPropertyName("Name")]
    public string Name { get; init; } = "";

    /// <summary>Node.</summary>
    [JsonPropertyName("Node")]
    public string Node { get; init; } = "";

    /// <summary>Lock delay (Consul answers it in integer nanoseconds).</summary>
    [JsonPropertyName("LockDelay")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan LockDelay { get; init; }

    /// <summary>Invalidation behaviour.</summary>
    [JsonPropertyName("Behavior")]
    public SessionBehavior Behavior { get; init; }

    /// <summary>TTL; the server may return more than was requested, and the next renewal must follow it.</summary>
    [JsonPropertyName("TTL")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Ttl { get; init; }

    /// <summary>Node checks the session is bound to.</summary>
    [JsonPropertyName("NodeChecks")]
    public IReadOnlyList<string>? NodeChecks { get; init; }

    /// <summary>Service checks the session is bound to.</summary>
    [JsonPropertyName("ServiceChecks")]
    public IReadOnlyList<ServiceCheckReference>? ServiceChecks { get; init; }

    /// <summary>Raft index that created the session.</summary>
    [JsonPropertyName("CreateIndex")]
    public ulong CreateIndex { get; init; }

    /// <summary>Raft index of the last change.</summary>
    [JsonPropertyName("ModifyIndex")]
    public ulong ModifyIndex { get; init; }
}
