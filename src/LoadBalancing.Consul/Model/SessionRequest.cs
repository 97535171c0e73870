using System.Text.Json.Serialization;
using LoadBalancing.Consul.Internal;

namespace LoadBalancing.Consul.Model;

/// <summary>
/// The body of <c>PUT /v1/session/create</c>. Leaving all check lists <see langword="null"/> binds the session to
/// <c>serfHealth</c> (agent death releases its locks); an explicit empty <see cref="NodeChecks"/> creates a session
/// only its TTL or an operator can end.
/// </summary>
public sealed record SessionRequest
{
    /// <summary>Lock delay after invalidation during which nobody can acquire the released locks (default 15 s, at most 60 s is honoured, 0 disables).</summary>
    [JsonPropertyName("LockDelay")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? LockDelay { get; init; }

    /// <summary>Human-readable name.</summary>
    [JsonPropertyName("Name")]
    public string? Name { get; init; }

    /// <summary>Node (default: the agent's node).</summary>
    [JsonPropertyName("Node")]
    public string? Node { get; init; }

    /// <summary>Deprecated (Consul 1.7) list of check IDs; prefer <see cref="NodeChecks"/>/<see cref="ServiceChecks"/>.</summary>
    [JsonPropertyName("Checks")]
    public IReadOnlyList<string>? Checks { get; init; }

    /// <summary>Node check IDs the session is bound to.</summary>
    [JsonPropertyName("NodeChecks")]
    public IReadOnlyList<string>? NodeChecks { get; init; }

    /// <summary>Service checks the session is bound to.</summary>
    [JsonPropertyName("ServiceChecks")]
    public IReadOnlyList<ServiceCheckReference>? ServiceChecks { get; init; }

    /// <summary>Release (default) or delete held keys on invalidation.</summary>
    [JsonPropertyName("Behavior")]
    public SessionBehavior? Behavior { get; init; }

    /// <summary>Session TTL, 10 s to 24 h; renew at half of the TTL the server returns.</summary>
    [JsonPropertyName("TTL")]
    [JsonConverter(typeof(GoDurationJsonConverter))]
    public TimeSpan? Ttl { get; init; }
}
