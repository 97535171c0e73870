using System.Text.Json.Serialization;

namespace LoadBalancing.Consul.Model;

/// <summary>
/// A KV entry. <see cref="Session"/> is set while a lock is held; the tuple (<see cref="Key"/>,
/// <see cref="LockIndex"/>, <see cref="Session"/>) is the sequencer for fencing. Do not derive lock state from
/// <see cref="LockIndex"/>.
/// </summary>
public sealed record KVPair
{
    /// <summary>Key.</summary>
    [JsonPropertyName("Key")]
    public string Key { get; init; } = "";

    /// <summary>Raft index that created the key.</summary>
    [JsonPropertyName("CreateIndex")]
    public ulong CreateIndex { get; init; }

    /// <summary>Raft index of the last change; block on it to watch the key.</summary>
    [JsonPropertyName("ModifyIndex")]
    public ulong ModifyIndex { get; init; }

    /// <summary>Number of successful acquisitions.</summary>
    [JsonPropertyName("LockIndex")]
    public ulong LockIndex { get; init; }

    /// <summary>Opaque flags.</summary>
    [JsonPropertyName("Flags")]
    public ulong Flags { get; init; }

    /// <summary>Value (base64 on the wire), <see langword="null"/> when the key has no value.</summary>
    [JsonPropertyName("Value")]
    public byte[]? Value { get; init; }

    /// <summary>The session holding the lock, if any.</summary>
    [JsonPropertyName("Session")]
    public string? Session { get; init; }
}
