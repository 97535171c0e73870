using System.Globalization;
using System.Threading.Channels;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LoadBalancing.Health;

/// <summary>
/// Connects health checking to the running <see cref="ServiceTable"/>: one <see cref="HealthChecker"/> target per
/// real server of every service, ejections of an optional <see cref="OutlierDetector"/>, and each service's
/// <see cref="QuorumPolicy"/> (quorum, hysteresis, sorry server), all applied as runtime weights with
/// <see cref="ServiceTable.SetWeight"/>.
/// </summary>
/// <remarks>
/// <para>
/// A real server's weight is: 0 while ejected by outlier detection (and flagged removed unless its policy has
/// <see cref="HealthCheckPolicy.InhibitOnFailure"/>, as for a failed active check); 0 while its service is without quorum and a
/// sorry server serves instead (keepalived takes the live servers out); else what its health checks say (0 when
/// down, ramping during slow start, the dynamic weight of <c>misc_dynamic</c>). A sorry server has its weight
/// only while its service is without quorum, else 0; one that is not a configured real server is added to the service
/// (<see cref="ServiceTable.AddRuntimeServer"/>) for that time and removed when quorum returns, as keepalived does.
/// </para>
/// <para>
/// The core has no runtime removal of a real server yet, so a server that is down without
/// <see cref="HealthCheckPolicy.InhibitOnFailure"/>, or taken out for a sorry server, is set to weight 0 (quiesced:
/// no new connections, existing ones drain) and flagged as removed (<see cref="IsRemoved"/>); the forwarder and the
/// director can use the flag for what removal would do beyond weight 0. With
/// <see cref="HealthCheckPolicy.InhibitOnFailure"/> a down server is weight 0 and not flagged.
/// </para>
/// </remarks>
public sealed partial class ServiceTableHealthAdapter : IDisposable
{
    /// <summary>How many quorum changes <see cref="QuorumChanges"/> buffers before it drops the oldest.</summary>
    public const int ChangeBufferCapacity = 1024;

    private static readonly QuorumPolicy DefaultQuorum = new();

    private readonly ServiceTable _table;
    private readonly HealthChecker _checker;
    private readonly OutlierDetector? _outliers;
    private readonly Func<RealServerState, IHealthProbe?> _probeFactory;
    private readonly Func<RealServerState, HealthCheckPolicy> _policyFactory;
    private readonly Func<VirtualServiceState, QuorumPolicy?> _quorumFactory;
    private readonly Dictionary<RealServerState, ServerEntry> _servers = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, ServerEntry> _targets = new(StringComparer.Ordinal);
    private readonly Dictionary<VirtualServiceState, ServiceEntry> _services = new(ReferenceEqualityComparer.Instance);
    private readonly Channel<QuorumChange> _quorumChanges;
    private readonly Lock _lock = new();
    private bool _synchronizing;

    /// <summary>Initializes the adapter; call <see cref="Synchronize"/> to create the targets.</summary>
    /// <param name="table">The running service table.</param>
    /// <param name="checker">The checker the targets go to.</param>
    /// <param name="probeFactory">The probe for a real server; <see langword="null"/> leaves the server unchecked (always up).</param>
    /// <param name="policyFactory">The policy for a real server.</param>
    /// <param name="quorumFactory">The quorum of a virtual service; keepalived's default (quorum 1, no hysteresis, no sorry server) when it is or returns <see langword="null"/>.</param>
    /// <param name="outliers">Passive health to apply as well, or <see langword="null"/>.</param>
    /// <param name="logger">The logger for quorum and sorry-server events; none when <see langword="null"/>.</param>
    public ServiceTableHealthAdapter(
        ServiceTable table,
        HealthChecker checker,
        Func<RealServerState, IHealthProbe?> probeFactory,
        Func<RealServerState, HealthCheckPolicy> policyFactory,
        Func<VirtualServiceState, QuorumPolicy?>? quorumFactory = null,
        OutlierDetector? outliers = null,
        ILogger<ServiceTableHealthAdapter>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(checker);
        ArgumentNullException.ThrowIfNull(probeFactory);
        ArgumentNullException.ThrowIfNull(policyFactory);
        _table = table;
        _checker = checker;
        _probeFactory = probeFactory;
        _policyFactory = policyFactory;
        _quorumFactory = quorumFactory ?? (_ => null);
        _outliers = outliers;
        Logger = logger ?? (ILogger)NullLogger.Instance;
        _quorumChanges = Channel.CreateBounded<QuorumChange>(new BoundedChannelOptions(ChangeBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest });
        _checker.Changed += OnHealthChanged;
        if (_outliers is not null)
        {
            _outliers.Changed += OnOutlierChanged;
        }

        _table.Changed += OnTableChanged;
    }

    /// <summary>Raised when a virtual service loses or regains quorum (after the weights are applied), outside the adapter's lock.</summary>
    public event EventHandler<QuorumChange>? QuorumChanged;

    /// <summary>Gets every quorum change, in order. Buffers <see cref="ChangeBufferCapacity"/> changes, then drops the oldest.</summary>
    public ChannelReader<QuorumChange> QuorumChanges => _quorumChanges.Reader;

    private ILogger Logger { get; }

    /// <summary>Gets the target name used for a real server: <c>"&lt;service&gt; -&gt; &lt;address&gt;:&lt;port&gt;"</c>.</summary>
    /// <param name="destination">The real server.</param>
    /// <returns>The name.</returns>
    public static string TargetName(RealServerState destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var address = destination.Address.IsIPv6 ? $"[{destination.Address}]" : destination.Address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{destination.Service.Key} -> {address}:{destination.Port}");
    }

    /// <summary>
    /// Gets a value indicating whether health checking took a real server out of the pool: down without
    /// inhibit_on_failure, a sorry server not serving, or a live server set aside while its sorry server serves.
    /// </summary>
    /// <param name="destination">The real server.</param>
    /// <returns>Whether it counts as removed.</returns>
    public bool IsRemoved(RealServerState destination)
    {
        lock (_lock)
        {
            return _servers.TryGetValue(destination, out var entry) && entry.Removed;
        }
    }

    /// <summary>Gets a value indicating whether a virtual service has quorum (true for a service the adapter does not know).</summary>
    /// <param name="service">The virtual service.</param>
    /// <returns>Whether it has quorum.</returns>
    public bool HasQuorum(VirtualServiceState service)
    {
        lock (_lock)
        {
            return !_services.TryGetValue(service, out var entry) || entry.HasQuorum;
        }
    }

    /// <summary>
    /// Adds a target for every real server of the table that has none, with its configured weight, and removes
    /// the targets of servers that are gone or whose configured weight changed (they are added again); then
    /// re-evaluates every service's quorum. Called automatically when the table's configuration changes.
    /// </summary>
    public void Synchronize()
    {
        List<QuorumChange> events = [];
        lock (_lock)
        {
            var live = new HashSet<RealServerState>(ReferenceEqualityComparer.Instance);
            var services = new HashSet<VirtualServiceState>(ReferenceEqualityComparer.Instance);
            foreach (var service in _table.Services)
            {
                services.Add(service);
                foreach (var destination in service.Destinations)
                {
                    live.Add(destination);
                }
            }

            foreach (var service in _table.Services)
            {
                ServiceFor(service);
            }

            foreach (var (destination, entry) in _servers.ToArray())
            {
                if (!live.Contains(destination)
                    || entry.ConfiguredWeight != destination.Config.Weight
                    || entry.IsSorry != (_services.TryGetValue(destination.Service, out var owner) && ReferenceEquals(owner.Sorry, destination)))
                {
                    Forget(entry);
                }
            }

            foreach (var service in _services.Keys.ToArray())
            {
                if (!services.Contains(service))
                {
                    _services.Remove(service, out var gone);
                    SetLost(gone!, false);
                    if (gone!.Serving is not null)
                    {
                        HealthMetrics.SorryServersActive.Add(-1);
                    }
                }
            }

            // Entries first, with their policy's initial state, so quorum is never judged on a half-built service;
            // then the targets (whose initial reports land on the entries); then one evaluation per service.
            _synchronizing = true;
            try
            {
                List<(ServerEntry Entry, IHealthProbe Probe, HealthCheckPolicy Policy)> added = [];
                foreach (var service in _table.Services)
                {
                    var serviceEntry = _services[service];
                    foreach (var destination in service.Destinations)
                    {
                        if (_servers.ContainsKey(destination))
                        {
                            continue;
                        }

                        // An entry made again (its configured weight changed) keeps an ejection still running.
                        var entry = new ServerEntry(destination)
                        {
                            IsSorry = ReferenceEquals(serviceEntry.Sorry, destination),
                            Ejected = _outliers?.IsEjected(destination) == true,
                        };
                        _servers[destination] = entry;
                        if (entry.IsSorry || _probeFactory(destination) is not { } probe)
                        {
                            continue;
                        }

                        var policy = _policyFactory(destination);
                        entry.Inhibit = policy.InhibitOnFailure;
                        entry.Name = TargetName(destination);
                        entry.Up = policy.InitialState == HealthState.Up;
                        entry.HealthWeight = entry.Up ? entry.ConfiguredWeight : 0;
                        entry.HealthRemoved = !entry.Up && !policy.InhibitOnFailure;
                        _targets[entry.Name] = entry;
                        added.Add((entry, probe, policy));
                    }
                }

                foreach (var (entry, probe, policy) in added)
                {
                    var endpoint = new ProbeTarget(entry.Destination.Address, entry.Destination.Port);
                    _checker.Add(new HealthCheckTarget(entry.Name!, endpoint, probe, policy, entry.ConfiguredWeight));
                }
            }
            finally
            {
                _synchronizing = false;
            }

            foreach (var serviceEntry in _services.Values)
            {
                if (Evaluate(serviceEntry) is { } change)
                {
                    events.Add(change);
                }
            }
        }

        PublishAll(events);
    }

    /// <summary>Stops following the table, the checker and the outlier detector.</summary>
    public void Dispose()
    {
        _checker.Changed -= OnHealthChanged;
        if (_outliers is not null)
        {
            _outliers.Changed -= OnOutlierChanged;
        }

        _table.Changed -= OnTableChanged;
        _quorumChanges.Writer.TryComplete();
    }

    private void OnTableChanged(object? sender, EventArgs e)
    {
        // SetWeight raises Changed as well: the adapter's own weight changes happen under its lock and need no
        // resync; a configuration change (new snapshot) does, and a resync with nothing new is cheap.
        if (!_lock.IsHeldByCurrentThread)
        {
            Synchronize();
        }
    }

    private void OnHealthChanged(object? sender, HealthChange change)
    {
        QuorumChange? quorum = null;
        lock (_lock)
        {
            if (!_targets.TryGetValue(change.Target.Name, out var entry))
            {
                return;
            }

            entry.Up = change.State == HealthState.Up;
            entry.HealthWeight = change.Weight;
            entry.HealthRemoved = change.IsRemoved;
            if (!_synchronizing && _services.TryGetValue(entry.Destination.Service, out var service))
            {
                quorum = Evaluate(service);
            }
        }

        PublishAll(quorum);
    }

    private void OnOutlierChanged(object? sender, OutlierChange change)
    {
        QuorumChange? quorum = null;
        lock (_lock)
        {
            if (!_servers.TryGetValue(change.Destination, out var entry))
            {
                return;
            }

            entry.Ejected = change.IsEjected;
            if (_services.TryGetValue(entry.Destination.Service, out var service))
            {
                quorum = Evaluate(service);
            }
        }

        PublishAll(quorum);
    }

    // Called under _lock.
    private void Forget(ServerEntry entry)
    {
        _servers.Remove(entry.Destination);
        if (entry.Name is { } name)
        {
            _targets.Remove(name);
            _checker.Remove(name);
        }
    }

    private void PublishAll(QuorumChange? change)
    {
        if (change is not null)
        {
            PublishAll([change]);
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A subscriber's exception must not stop health checking.")]
    private void PublishAll(List<QuorumChange> changes)
    {
        foreach (var change in changes)
        {
            try
            {
                QuorumChanged?.Invoke(this, change);
            }
            catch (Exception ex)
            {
                Log.HandlerFailed(Logger, ex);
            }

            _quorumChanges.Writer.TryWrite(change);
        }
    }

    /// <summary>What the adapter knows about one real server. Guarded by the adapter's lock.</summary>
    private sealed class ServerEntry(RealServerState destination)
    {
        public RealServerState Destination { get; } = destination;

        public int ConfiguredWeight { get; } = destination.Config.Weight;

        /// <summary>Gets or sets the health target's name; <see langword="null"/> when unchecked (always up) or a sorry server.</summary>
        public string? Name { get; set; }

        public bool IsSorry { get; init; }

        public bool Up { get; set; } = true;

        public int HealthWeight { get; set; } = destination.Config.Weight;

        public bool HealthRemoved { get; set; }

        /// <summary>Gets or sets a value indicating whether its policy keeps it at weight 0 rather than removed when out (inhibit_on_failure).</summary>
        public bool Inhibit { get; set; }

        public bool Ejected { get; set; }

        public bool Removed { get; set; }
    }
}
