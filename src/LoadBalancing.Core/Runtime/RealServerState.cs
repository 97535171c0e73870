using LoadBalancing.Model;

namespace LoadBalancing.Runtime;

/// <summary>
/// The runtime state of one real server (an IPVS "destination"): its effective weight, OVERLOAD and
/// availability flags, connection counters and traffic statistics.
/// </summary>
/// <remarks>
/// Counters are changed by the connection table and read lock-free by the schedulers. Every change of the
/// counters or the OVERLOAD flag is reported to the service's scheduler through
/// <see cref="Scheduling.IScheduler.OnLoadChanged"/>.
/// </remarks>
public sealed partial class RealServerState
{
    private RealServerConfig _config;
    private int _weight;
    private int _lastWeight;
    private int _activeConnections;
    private int _inactiveConnections;
    private int _persistentConnections;
    private volatile bool _overloaded;
    private volatile bool _available = true;

    internal RealServerState(VirtualServiceState service, RealServerConfig config)
    {
        Service = service;
        _config = config;
        _weight = config.Weight;
        _lastWeight = config.Weight;
    }

    /// <summary>Gets the virtual service this server belongs to.</summary>
    public VirtualServiceState Service { get; }

    /// <summary>Gets the server's current configuration.</summary>
    public RealServerConfig Config => Volatile.Read(ref _config);

    /// <summary>Gets the server's address.</summary>
    public NetworkAddress Address => Config.Address;

    /// <summary>Gets the server's port.</summary>
    public ushort Port => Config.Port;

    /// <summary>Gets the forwarding method.</summary>
    public ForwardingMethod Method => Config.Method;

    /// <summary>Gets the effective weight: the configured one unless changed at runtime (health checks, <c>lbadm -e</c>).</summary>
    public int Weight => Volatile.Read(ref _weight);

    /// <summary>Gets the last non-zero weight the server had (IPVS <c>last_weight</c>, used by mh); 0 if it never had one.</summary>
    public int LastWeight => Volatile.Read(ref _lastWeight);

    /// <summary>Gets a value indicating whether the server has been removed from its service (IPVS clears <c>AVAILABLE</c>).</summary>
    public bool IsAvailable => _available;

    /// <summary>Gets a value indicating whether the upper connection threshold was reached (IPVS <c>OVERLOAD</c>).</summary>
    public bool IsOverloaded => _overloaded;

    /// <summary>Gets the position of this server in the service's kernel-ordered destination list (newest first).</summary>
    public int Position { get; internal set; }

    /// <summary>Gets the active connections (ActiveConn).</summary>
    public int ActiveConnections => Volatile.Read(ref _activeConnections);

    /// <summary>Gets the inactive connections (InActConn).</summary>
    public int InactiveConnections => Volatile.Read(ref _inactiveConnections);

    /// <summary>Gets the persistence templates pointing at this server (PersistConn).</summary>
    public int PersistentConnections => Volatile.Read(ref _persistentConnections);

    /// <summary>
    /// Gets IPVS's connection overhead, <c>(activeconns &lt;&lt; 8) + inactconns</c>: an active connection is
    /// assumed to cost 256 times an inactive one (<c>ip_vs_dest_conn_overhead</c>).
    /// </summary>
    public long Overhead => ((long)ActiveConnections << 8) + InactiveConnections;

    /// <summary>Gets the traffic counters.</summary>
    public TrafficStatistics Statistics { get; } = new();

    /// <inheritdoc/>
    public override string ToString()
        => Address.IsIPv6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    /// <summary>Creates a free-standing server, for schedulers and tests that need no service table.</summary>
    internal static RealServerState CreateDetached(VirtualServiceState service, RealServerConfig config) => new(service, config);

    /// <summary>Applies an edited configuration (<c>-e</c>), with IPVS's rule for clearing OVERLOAD.</summary>
    internal void UpdateConfig(RealServerConfig config, bool resetWeight)
    {
        var old = Config;
        Volatile.Write(ref _config, config);
        if (resetWeight)
        {
            SetWeight(config.Weight);
        }

        // __ip_vs_update_dest: clear OVERLOAD when the new upper threshold is off or higher than before.
        if (config.UpperThreshold == 0 || config.UpperThreshold > old.UpperThreshold)
        {
            _overloaded = false;
        }
    }

    internal void SetWeight(int weight)
    {
        Volatile.Write(ref _weight, weight);
        if (weight > 0)
        {
            Volatile.Write(ref _lastWeight, weight);
        }
    }

    internal void MarkUnavailable() => _available = false;

    /// <summary>A connection (or template) was bound to this server (<c>ip_vs_bind_dest</c>).</summary>
    /// <param name="kind">What was bound.</param>
    internal void Bind(ConnectionCountKind kind)
    {
        switch (kind)
        {
            case ConnectionCountKind.Active:
                Interlocked.Increment(ref _activeConnections);
                break;
            case ConnectionCountKind.Inactive:
                Interlocked.Increment(ref _inactiveConnections);
                break;
            default:
                Interlocked.Increment(ref _persistentConnections);
                break;
        }

        var upper = Config.UpperThreshold;
        if (upper != 0 && TotalConnections >= upper)
        {
            _overloaded = true;
        }

        Service.Scheduler.OnLoadChanged(this);
    }

    /// <summary>A connection (or template) was released (<c>ip_vs_unbind_dest</c>).</summary>
    /// <param name="kind">What was released.</param>
    internal void Unbind(ConnectionCountKind kind)
    {
        switch (kind)
        {
            case ConnectionCountKind.Active:
                Interlocked.Decrement(ref _activeConnections);
                break;
            case ConnectionCountKind.Inactive:
                Interlocked.Decrement(ref _inactiveConnections);
                break;
            default:
                Interlocked.Decrement(ref _persistentConnections);
                break;
        }

        var config = Config;
        if (config.LowerThreshold != 0)
        {
            if (TotalConnections < config.LowerThreshold)
            {
                _overloaded = false;
            }
        }
        else if (config.UpperThreshold != 0)
        {
            if (TotalConnections * 4 < (long)config.UpperThreshold * 3)
            {
                _overloaded = false;
            }
        }
        else
        {
            _overloaded = false;
        }

        Service.Scheduler.OnLoadChanged(this);
    }

    /// <summary>A connection moved between the active and inactive states (protocol state change).</summary>
    /// <param name="nowActive">Whether the connection is now active.</param>
    internal void MoveConnection(bool nowActive)
    {
        if (nowActive)
        {
            Interlocked.Decrement(ref _inactiveConnections);
            Interlocked.Increment(ref _activeConnections);
        }
        else
        {
            Interlocked.Decrement(ref _activeConnections);
            Interlocked.Increment(ref _inactiveConnections);
        }

        Service.Scheduler.OnLoadChanged(this);
    }

    /// <summary>Sets the counters directly; for tests and benchmarks that need a given load.</summary>
    internal void SetCountersForTesting(int active, int inactive, int persistent = 0, bool overloaded = false)
    {
        Volatile.Write(ref _activeConnections, active);
        Volatile.Write(ref _inactiveConnections, inactive);
        Volatile.Write(ref _persistentConnections, persistent);
        _overloaded = overloaded;
        Service.Scheduler.OnLoadChanged(this);
    }

    private long TotalConnections => (long)ActiveConnections + InactiveConnections;
}
