namespace LoadBalancing.Consul.Model;

/// <summary>Query parameters of a KV <c>PUT</c>: at most one of <see cref="Acquire"/>, <see cref="Release"/>, <see cref="Cas"/>.</summary>
public sealed record KVWriteOptions
{
    /// <summary>Acquire the lock for this session (<c>?acquire=</c>); the answer is <see langword="false"/> when another session holds it or a lock-delay is in effect.</summary>
    public string? Acquire { get; init; }

    /// <summary>Release the lock held by this session (<c>?release=</c>).</summary>
    public string? Release { get; init; }

    /// <summary>Check-and-set: write only if the key's <c>ModifyIndex</c> equals this (0 = only if absent).</summary>
    public ulong? Cas { get; init; }

    /// <summary>Opaque flags stored with the key.</summary>
    public ulong? Flags { get; init; }

    /// <summary>Datacenter (default: the agent's).</summary>
    public string? Datacenter { get; init; }
}
