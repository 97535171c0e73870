using System.Collections.Immutable;

namespace LoadBalancing.Model;

/// <summary>
/// Configuration of one virtual service and its real servers (<c>ipvsadm -A</c> plus its <c>-a</c> lines).
/// Immutable; validated as part of a <see cref="LoadBalancerConfig"/>.
/// </summary>
/// <remarks>
/// <see cref="RealServers"/> lists servers in the order they were added. IPVS keeps its destination list
/// newest first, and that order decides round-robin starts, tie-breaks and hash-table layouts; the runtime
/// state (<see cref="Runtime.VirtualServiceState.Destinations"/>) exposes the kernel order.
/// </remarks>
public sealed record VirtualServiceConfig
{
    /// <summary>The persistence timeout of a bare <c>-p</c>: 360 seconds (libipvs <c>IPVS_SVC_PERSISTENT_TIMEOUT</c>).</summary>
    public static readonly TimeSpan DefaultPersistenceTimeout = TimeSpan.FromSeconds(360);

    /// <summary>The longest persistence timeout ipvsadm accepts: 31 days.</summary>
    public static readonly TimeSpan MaxPersistenceTimeout = TimeSpan.FromSeconds(2678400);

    /// <summary>Gets the service's identity.</summary>
    public required VirtualServiceKey Key { get; init; }

    /// <summary>Gets the scheduler name (see <see cref="Scheduling.SchedulerNames"/>); <c>wlc</c> by default.</summary>
    public string Scheduler { get; init; } = Scheduling.SchedulerNames.WeightedLeastConnection;

    /// <summary>Gets the scheduler flags (<c>-b</c>).</summary>
    public SchedulerFlags SchedulerFlags { get; init; }

    /// <summary>Gets the persistence timeout (<c>-p</c>), or <see langword="null"/> for a non-persistent service.</summary>
    public TimeSpan? PersistenceTimeout { get; init; }

    /// <summary>
    /// Gets the persistence granularity (<c>-M</c>) as a prefix length; <see langword="null"/> means host-wide
    /// (32 for IPv4, 128 for IPv6).
    /// </summary>
    public int? PersistencePrefixLength { get; init; }

    /// <summary>Gets the persistence engine (<c>--pe</c>, only <c>sip</c> exists), or <see langword="null"/>.</summary>
    public string? PersistenceEngine { get; init; }

    /// <summary>Gets a value indicating whether one-packet scheduling is on (<c>-o</c>, UDP and firewall-mark services).</summary>
    public bool OnePacket { get; init; }

    /// <summary>Gets the real servers, in the order they were added.</summary>
    public ImmutableArray<RealServerConfig> RealServers { get; init; } = [];

    /// <summary>Gets a value indicating whether the service is persistent.</summary>
    public bool IsPersistent => PersistenceTimeout is not null;

    /// <summary>Gets the effective persistence prefix length (host-wide when not set).</summary>
    public int EffectivePersistencePrefixLength => PersistencePrefixLength ?? Key.Address.BitLength;
}
