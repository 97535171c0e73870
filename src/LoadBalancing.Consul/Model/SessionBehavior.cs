using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>What happens to the keys a session holds when the session is invalidated.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SessionBehavior>))]
public enum SessionBehavior
{
    /// <summary>Locks are released (Consul's default).</summary>
    [JsonStringEnumMemberName("release")]
    Release,

    /// <summary>Held keys are deleted.</summary>
    [JsonStringEnumMemberName("delete")]
    Delete,
}
