using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Runtime;

/// <summary>
/// The runtime state of one virtual service: its current configuration, its destinations in kernel order
/// (newest first), its scheduler instance and its traffic statistics.
/// </summary>
public sealed class VirtualServiceState
{
    private VirtualServiceConfig _config;
    private ImmutableArray<RealServerState> _destinations = [];
    private IScheduler _scheduler = NullScheduler.Instance;

    internal VirtualServiceState(VirtualServiceConfig config)
    {
        _config = config;
        Key = config.Key;
    }

    /// <summary>Gets the service's identity.</summary>
    public VirtualServiceKey Key { get; }

    /// <summary>Gets the service's current configuration.</summary>
    public VirtualServiceConfig Config => Volatile.Read(ref _config);

    /// <summary>Gets the destinations in IPVS's order: the most recently added first.</summary>
    public ImmutableArray<RealServerState> Destinations => _destinations;

    /// <summary>Gets the scheduler instance.</summary>
    public IScheduler Scheduler => Volatile.Read(ref _scheduler);

    /// <summary>Gets the service's traffic counters.</summary>
    public TrafficStatistics Statistics { get; } = new();

    /// <summary>Chooses a destination for a new connection; <see langword="null"/> when none is available.</summary>
    /// <param name="request">The packet fields schedulers look at.</param>
    /// <returns>The destination or <see langword="null"/>.</returns>
    public RealServerState? Schedule(in SchedulingRequest request) => Scheduler.Pick(in request);

    /// <summary>Finds a destination by address and port.</summary>
    /// <param name="address">The real server's address.</param>
    /// <param name="port">The real server's port.</param>
    /// <returns>The destination or <see langword="null"/>.</returns>
    public RealServerState? FindDestination(NetworkAddress address, ushort port)
    {
        foreach (var dest in _destinations)
        {
            if (dest.Address == address && dest.Port == port)
            {
                return dest;
            }
        }

        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => Key.ToString();

    /// <summary>Creates a service with the given destinations, outside any service table (tests, benchmarks).</summary>
    /// <param name="config">The configuration; its real servers are added in order, as <c>-a</c> lines would.</param>
    /// <param name="registry">Where to find the scheduler.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="random">A random source for twos, or <see langword="null"/>.</param>
    /// <returns>The service.</returns>
    internal static VirtualServiceState CreateDetached(VirtualServiceConfig config, SchedulerRegistry registry, TimeProvider timeProvider, Random? random = null)
    {
        var state = new VirtualServiceState(config);
        state.Apply(config, registry, timeProvider, random);
        return state;
    }

    /// <summary>
    /// Brings the service to a new configuration with IPVS's semantics: servers that stay keep their state
    /// and their place; new servers go to the head of the list in the order given; removed servers become
    /// unavailable; the scheduler is replaced only when its name changes and is told about any change.
    /// </summary>
    internal void Apply(VirtualServiceConfig config, SchedulerRegistry registry, TimeProvider timeProvider, Random? random = null)
    {
        var old = Config;
        Volatile.Write(ref _config, config);

        var schedulerChanged = _scheduler is NullScheduler || old.Scheduler != config.Scheduler;
        if (schedulerChanged)
        {
            if (!registry.TryGetFactory(config.Scheduler, out var factory))
            {
                throw new ConfigValidationException([new ConfigError($"services[{Key}].scheduler", $"scheduler '{config.Scheduler}' not found")]);
            }

            var scheduler = factory.Create(new SchedulerContext(this, timeProvider, random));
            scheduler.OnDestinationsChanged(_destinations);
            Volatile.Write(ref _scheduler, scheduler);
        }

        var changed = false;
        var wanted = new Dictionary<(NetworkAddress, ushort), RealServerConfig>();
        foreach (var server in config.RealServers)
        {
            wanted[(server.Address, server.Port)] = server;
        }

        var kept = ImmutableArray.CreateBuilder<RealServerState>(config.RealServers.Length);
        foreach (var dest in _destinations)
        {
            if (wanted.Remove((dest.Address, dest.Port), out var serverConfig))
            {
                if (!Equals(dest.Config, serverConfig))
                {
                    dest.UpdateConfig(serverConfig, resetWeight: dest.Config.Weight != serverConfig.Weight);
                    changed = true;
                }

                kept.Add(dest);
            }
            else
            {
                dest.MarkUnavailable();
                changed = true;
            }
        }

        // Each "-a" inserts at the head of svc->destinations, so servers added A, B, C list as C, B, A.
        var added = new List<RealServerState>();
        foreach (var server in config.RealServers)
        {
            if (wanted.ContainsKey((server.Address, server.Port)))
            {
                added.Add(new RealServerState(this, server));
            }
        }

        if (added.Count > 0)
        {
            added.Reverse();
            kept.InsertRange(0, added);
            changed = true;
        }

        if (changed)
        {
            var destinations = kept.ToImmutable();
            for (var i = 0; i < destinations.Length; i++)
            {
                destinations[i].Position = i;
            }

            _destinations = destinations;
            Scheduler.OnDestinationsChanged(destinations);
        }
    }

    /// <summary>Changes a destination's effective weight at runtime (health checks, drain).</summary>
    internal void SetWeight(RealServerState destination, int weight)
    {
        if (destination.Weight == weight)
        {
            return;
        }

        destination.SetWeight(weight);
        Scheduler.OnDestinationsChanged(_destinations);
    }

    /// <summary>Marks every destination unavailable (service deleted).</summary>
    internal void Remove()
    {
        foreach (var dest in _destinations)
        {
            dest.MarkUnavailable();
        }
    }

    /// <summary>Placeholder before the first scheduler is created.</summary>
    private sealed class NullScheduler : IScheduler
    {
        public static readonly NullScheduler Instance = new();

        public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
        {
        }

        public RealServerState? Pick(in SchedulingRequest request) => null;
    }
}
