using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Runtime;

/// <summary>
/// The running service table: the current validated <see cref="LoadBalancerConfig"/> and the runtime state
/// built from it. A new configuration is validated as a whole and swapped in atomically; an invalid one
/// changes nothing.
/// </summary>
/// <remarks>Lookups are lock-free and safe from any thread; changes are serialized.</remarks>
public sealed partial class ServiceTable
{
    private readonly Lock _writeLock = new();
    private readonly SchedulerRegistry _schedulers;
    private readonly TimeProvider _timeProvider;
    private Snapshot _snapshot = Snapshot.Empty;

    /// <summary>Initializes a new, empty table.</summary>
    /// <param name="schedulers">Where scheduler names are resolved.</param>
    /// <param name="timeProvider">The clock handed to schedulers; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    public ServiceTable(SchedulerRegistry schedulers, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(schedulers);
        _schedulers = schedulers;
        _timeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Raised after a new configuration or a runtime weight change has been applied.</summary>
    public event EventHandler? Changed;

    /// <summary>Gets the configuration currently applied.</summary>
    public LoadBalancerConfig Config => Volatile.Read(ref _snapshot).Config;

    /// <summary>Gets the services in configuration order.</summary>
    public ImmutableArray<VirtualServiceState> Services => Volatile.Read(ref _snapshot).Services;

    /// <summary>Finds a service by key. Lock-free.</summary>
    /// <param name="key">The service key.</param>
    /// <param name="service">The service when found.</param>
    /// <returns>Whether the service exists.</returns>
    public bool TryGetService(in VirtualServiceKey key, [NotNullWhen(true)] out VirtualServiceState? service)
        => Volatile.Read(ref _snapshot).ByKey.TryGetValue(key, out service);

    /// <summary>
    /// Validates <paramref name="config"/> as a whole and makes it the running configuration. Services and
    /// servers that remain keep their counters, connections and scheduler state.
    /// </summary>
    /// <param name="config">The new configuration.</param>
    /// <exception cref="ConfigValidationException">The configuration is invalid; nothing was changed.</exception>
    public void Apply(LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.EnsureValid(_schedulers.Names);

        lock (_writeLock)
        {
            var current = _snapshot;
            var services = ImmutableArray.CreateBuilder<VirtualServiceState>(config.Services.Length);
            foreach (var serviceConfig in WithRuntimeServers(config).Services)
            {
                if (!current.ByKey.TryGetValue(serviceConfig.Key, out var state))
                {
                    state = new VirtualServiceState(serviceConfig);
                }

                state.Apply(serviceConfig, _schedulers, _timeProvider);
                services.Add(state);
            }

            var next = new Snapshot(config, services.ToImmutable());
            foreach (var old in current.Services)
            {
                if (!next.ByKey.ContainsKey(old.Key))
                {
                    old.Remove();
                }
            }

            Volatile.Write(ref _snapshot, next);
        }

        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>
    /// Changes a real server's effective weight without changing the configuration (health checks:
    /// <c>inhibit_on_failure</c>, slow start, drain). A later <see cref="Apply"/> keeps it unless that
    /// configuration changes the server's configured weight.
    /// </summary>
    /// <param name="destination">The real server.</param>
    /// <param name="weight">The new weight, 0..65535; 0 quiesces the server.</param>
    public void SetWeight(RealServerState destination, int weight)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(weight, RealServerConfig.MaxWeight);
        lock (_writeLock)
        {
            destination.Service.SetWeight(destination, weight);
        }

        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Zeroes the traffic counters of every service and server (<c>ipvsadm -Z</c>).</summary>
    public void ZeroCounters()
    {
        foreach (var service in Services)
        {
            service.Statistics.Reset();
            foreach (var dest in service.Destinations)
            {
                dest.Statistics.Reset();
            }
        }
    }

    private sealed class Snapshot
    {
        public static readonly Snapshot Empty = new(LoadBalancerConfig.Empty, []);

        public Snapshot(LoadBalancerConfig config, ImmutableArray<VirtualServiceState> services)
        {
            Config = config;
            Services = services;
            ByKey = services.ToFrozenDictionary(s => s.Key);
        }

        public LoadBalancerConfig Config { get; }

        public ImmutableArray<VirtualServiceState> Services { get; }

        public FrozenDictionary<VirtualServiceKey, VirtualServiceState> ByKey { get; }
    }
}
