using System.Collections.Concurrent;
using System.Globalization;
using LoadBalancing.Runtime;

namespace LoadBalancing.Health;

/// <summary>
/// Connects a <see cref="HealthChecker"/> to the running <see cref="ServiceTable"/>: one target per real server
/// of every service, and every change applied as a runtime weight with <see cref="ServiceTable.SetWeight"/>.
/// </summary>
/// <remarks>
/// The core has no runtime removal of a real server yet, so a server that is down without
/// <see cref="HealthCheckPolicy.InhibitOnFailure"/> is also set to weight 0 (quiesced: no new connections,
/// existing ones drain) and flagged as removed (<see cref="IsRemoved"/>); the forwarder and the director can
/// use the flag for what removal would do beyond weight 0 (e.g. expire its connections). With
/// <see cref="HealthCheckPolicy.InhibitOnFailure"/> the server is weight 0 and not flagged.
/// </remarks>
public sealed class ServiceTableHealthAdapter : IDisposable
{
    private readonly ServiceTable _table;
    private readonly HealthChecker _checker;
    private readonly Func<RealServerState, IHealthProbe?> _probeFactory;
    private readonly Func<RealServerState, HealthCheckPolicy> _policyFactory;
    private readonly ConcurrentDictionary<string, (RealServerState Destination, int Weight)> _destinations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<RealServerState, bool> _removed = new();
    private readonly Lock _syncLock = new();

    /// <summary>Initializes the adapter; call <see cref="Synchronize"/> to create the targets.</summary>
    /// <param name="table">The running service table.</param>
    /// <param name="checker">The checker the targets go to.</param>
    /// <param name="probeFactory">The probe for a real server; <see langword="null"/> leaves the server unchecked.</param>
    /// <param name="policyFactory">The policy for a real server.</param>
    public ServiceTableHealthAdapter(ServiceTable table, HealthChecker checker, Func<RealServerState, IHealthProbe?> probeFactory, Func<RealServerState, HealthCheckPolicy> policyFactory)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(checker);
        ArgumentNullException.ThrowIfNull(probeFactory);
        ArgumentNullException.ThrowIfNull(policyFactory);
        _table = table;
        _checker = checker;
        _probeFactory = probeFactory;
        _policyFactory = policyFactory;
        _checker.Changed += OnHealthChanged;
        _table.Changed += OnTableChanged;
    }

    /// <summary>Gets the target name used for a real server: <c>"&lt;service&gt; -&gt; &lt;address&gt;:&lt;port&gt;"</c>.</summary>
    /// <param name="destination">The real server.</param>
    /// <returns>The name.</returns>
    public static string TargetName(RealServerState destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var address = destination.Address.IsIPv6 ? $"[{destination.Address}]" : destination.Address.ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{destination.Service.Key} -> {address}:{destination.Port}");
    }

    /// <summary>Gets a value indicating whether health checking took a real server out of the pool (down without inhibit_on_failure).</summary>
    /// <param name="destination">The real server.</param>
    /// <returns>Whether it counts as removed.</returns>
    public bool IsRemoved(RealServerState destination) => _removed.ContainsKey(destination);

    /// <summary>
    /// Adds a target for every real server of the table that has none, with its configured weight, and removes
    /// the targets of servers that are gone or whose configured weight changed (they are added again).
    /// Called automatically when the table's configuration changes.
    /// </summary>
    public void Synchronize()
    {
        lock (_syncLock)
        {
            var current = new Dictionary<string, RealServerState>(StringComparer.Ordinal);
            foreach (var service in _table.Services)
            {
                foreach (var destination in service.Destinations)
                {
                    current[TargetName(destination)] = destination;
                }
            }

            foreach (var (name, (destination, weight)) in _destinations)
            {
                if (!current.TryGetValue(name, out var now) || !ReferenceEquals(now, destination) || weight != destination.Config.Weight)
                {
                    _checker.Remove(name);
                    _destinations.TryRemove(name, out _);
                    _removed.TryRemove(destination, out _);
                }
            }

            foreach (var (name, destination) in current)
            {
                if (_destinations.ContainsKey(name) || _probeFactory(destination) is not { } probe)
                {
                    continue;
                }

                _destinations[name] = (destination, destination.Config.Weight);
                var endpoint = new ProbeTarget(destination.Address, destination.Port);
                _checker.Add(new HealthCheckTarget(name, endpoint, probe, _policyFactory(destination), destination.Config.Weight));
            }
        }
    }

    /// <summary>Stops following the table and the checker.</summary>
    public void Dispose()
    {
        _checker.Changed -= OnHealthChanged;
        _table.Changed -= OnTableChanged;
    }

    private void OnTableChanged(object? sender, EventArgs e)
    {
        // SetWeight raises Changed as well; only configuration changes (new snapshot) need a resync, and a
        // resync with nothing new is cheap.
        if (!_syncLock.IsHeldByCurrentThread)
        {
            Synchronize();
        }
    }

    private void OnHealthChanged(object? sender, HealthChange change)
    {
        RealServerState? destination;
        if (_destinations.TryGetValue(change.Target.Name, out var entry))
        {
            destination = entry.Destination;
        }
        else
        {
            // A target being added reports its initial state before it is recorded; look it up in the table.
            destination = _table.Services.SelectMany(s => s.Destinations).FirstOrDefault(d => TargetName(d) == change.Target.Name);
            if (destination is null)
            {
                return;
            }
        }

        if (change.IsRemoved)
        {
            _removed[destination] = true;
        }
        else
        {
            _removed.TryRemove(destination, out _);
        }

        if (destination.Weight != change.Weight)
        {
            _table.SetWeight(destination, change.Weight);
        }
    }
}
