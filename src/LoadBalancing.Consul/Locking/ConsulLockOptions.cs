using LoadBalancing.Consul.Model;

namespace LoadBalancing.Consul.Locking;

/// <summary>Options of a <see cref="ConsulLock"/> (Consul's session + KV leader-election recipe).</summary>
public sealed record ConsulLockOptions
{
    /// <summary>The KV key that is the lock, e.g. <c>loadbalancing/director/leader</c> (no leading <c>/</c>).</summary>
    public required string Key { get; init; }

    /// <summary>The value written with the acquire (e.g. the holder's name), for operators and the sequencer.</summary>
    public ReadOnlyMemory<byte> Value { get; init; }

    /// <summary>The session name; <c>LoadBalancing lock</c> by default.</summary>
    public string SessionName { get; init; } = "LoadBalancing lock";

    /// <summary>The session TTL (10 s to 24 h); 15 s by default. Renewed at half the TTL Consul returns.</summary>
    public TimeSpan SessionTtl { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long nobody can acquire the lock after its holder's session is invalidated (0 to 60 s); 15 s by default.</summary>
    public TimeSpan LockDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>What happens to the key when the session is invalidated; <see cref="SessionBehavior.Release"/> by default.</summary>
    public SessionBehavior Behavior { get; init; } = SessionBehavior.Release;

    /// <summary>
    /// Node checks the session is bound to; <see langword="null"/> keeps Consul's default (<c>serfHealth</c>: the
    /// agent's death releases the lock); empty binds it to nothing but the TTL.
    /// </summary>
    public IReadOnlyList<string>? NodeChecks { get; init; }

    /// <summary>How long to wait before retrying when acquire fails with the key free (a lock-delay is in effect); 5 s by default.</summary>
    public TimeSpan LockDelayRetry { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The blocking wait of each read of the key while waiting for it or watching it; 15 s by default.</summary>
    public TimeSpan MonitorWait { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The delay between retries after a failed renewal or monitor read; 1 s by default.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);
}
