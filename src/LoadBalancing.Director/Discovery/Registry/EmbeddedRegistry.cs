using System.Runtime.CompilerServices;
using LoadBalancing.Model;
using LoadBalancing.Rules;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Director.Discovery.Registry;

/// <summary>
/// The director's own registry, for setups without Consul: agents register instances over the control API and
/// heartbeat them; the registry is a discovery provider like Consul's and maps instances to virtual services with
/// <see cref="DiscoveryConvention"/>. TTL semantics are Consul's: an overdue heartbeat turns the instance critical
/// (quiesced, weight 0), and an instance critical for its <c>DeregisterCriticalAfter</c> is removed. State lives in
/// memory: after a director restart the agents' next heartbeat gets NOT_FOUND and they register again.
/// </summary>
internal sealed partial class EmbeddedRegistry : IDiscoveryProvider
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RegistryEntry> _entries = new(StringComparer.Ordinal);
    private readonly EmbeddedRegistryOptions _options;
    private readonly SchedulerRegistry _schedulers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EmbeddedRegistry(IOptions<EmbeddedRegistryOptions> options, SchedulerRegistry schedulers, TimeProvider time, ILogger<EmbeddedRegistry> logger)
    {
        _options = options.Value;
        _schedulers = schedulers;
        _time = time;
        _logger = logger;
    }

    public string Name => _options.ProviderName;

    public EmbeddedRegistryOptions Options => _options;

    public TimeProvider Time => _time;

    /// <summary>Adds or replaces an instance.</summary>
    /// <returns><see langword="false"/> when the registry is full.</returns>
    public bool Register(RegistryRegistration registration)
    {
        lock (_gate)
        {
            var id = registration.Instance.InstanceId;
            if (!_entries.ContainsKey(id) && _entries.Count >= _options.MaxInstances)
            {
                return false;
            }

            _entries[id] = new RegistryEntry(registration, _time.GetUtcNow());
            Log.Registered(_logger, id, registration.Instance.ServiceName, registration.Instance.Address, registration.Instance.Port, registration.Ttl);
            SignalLocked();
            return true;
        }
    }

    /// <summary>Records a heartbeat and restarts the TTL clock.</summary>
    /// <returns>The TTL in force, or <see langword="null"/> when the instance is unknown (register again).</returns>
    public TimeSpan? Heartbeat(string id, InstanceHealth status, string output)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            EvaluateLocked(now);
            if (!_entries.TryGetValue(id, out var entry))
            {
                return null;
            }

            var before = entry.EffectiveHealth;
            entry.TtlDeadline = now + entry.Registration.Ttl;
            entry.LastHeartbeat = now;
            entry.SetStatus(status, output, now);
            if (entry.EffectiveHealth != before)
            {
                Log.StatusChanged(_logger, id, before, entry.EffectiveHealth, output);
                SignalLocked();
            }

            return entry.Registration.Ttl;
        }
    }

    /// <summary>Removes an instance.</summary>
    /// <returns>Whether it was registered.</returns>
    public bool Deregister(string id)
    {
        lock (_gate)
        {
            if (!_entries.Remove(id))
            {
                return false;
            }

            Log.Deregistered(_logger, id);
            SignalLocked();
            return true;
        }
    }

    /// <summary>Puts an instance into maintenance (drained: weight 0) or takes it out.</summary>
    /// <returns>Whether the instance is registered.</returns>
    public bool SetMaintenance(string id, bool enable, string? reason)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(id, out var entry))
            {
                return false;
            }

            entry.MaintenanceReason = enable ? (string.IsNullOrEmpty(reason) ? "maintenance mode enabled" : reason) : null;
            Log.Maintenance(_logger, id, enable, reason ?? "");
            SignalLocked();
            return true;
        }
    }

    /// <summary>The registered instances, by ID.</summary>
    public IReadOnlyList<(RegistryRegistration Registration, InstanceHealth Health, string Output, DateTimeOffset? LastHeartbeat, string? MaintenanceReason)> List()
    {
        lock (_gate)
        {
            EvaluateLocked(_time.GetUtcNow());
            return [.. _entries.Values
                .OrderBy(e => e.Registration.Instance.InstanceId, StringComparer.Ordinal)
                .Select(e => (e.Registration, e.EffectiveHealth, e.Output, e.LastHeartbeat, e.MaintenanceReason))];
        }
    }

    public async IAsyncEnumerable<DiscoverySnapshot> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The registry removes instances itself (DeregisterCriticalAfter); the pool only maps them.
        var pool = new DiscoveryPool(Timeout.InfiniteTimeSpan, _schedulers.Names);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        string? published = null;
        while (true)
        {
            Task changed;
            DateTimeOffset? next;
            var now = _time.GetUtcNow();
            lock (_gate)
            {
                if (EvaluateLocked(now))
                {
                    SignalLocked();
                }

                changed = _changed.Task;
                pool.SetInstances(Name, _entries.Values.Select(e => e.Registration.Instance with { Health = e.EffectiveHealth }), now);
                next = _entries.Count == 0 ? null : _entries.Values.Min(e => e.NextDeadline);
            }

            var result = pool.Build(now);
            foreach (var problem in result.Problems.Where(reported.Add))
            {
                Log.Ignored(_logger, problem);
            }

            reported.IntersectWith(result.Problems);
            var rendered = RulesFile.Render(new LoadBalancerConfig { Services = result.Services });
            if (rendered != published)
            {
                published = rendered;
                yield return new DiscoverySnapshot(result.Services);
            }

            await WaitAsync(changed, next, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WaitAsync(Task changed, DateTimeOffset? deadline, CancellationToken cancellationToken)
    {
        if (deadline is not { } due)
        {
            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var delay = due - _time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await Task.WhenAny(changed, Task.Delay(delay, _time, timer.Token)).ConfigureAwait(false);
        await timer.CancelAsync().ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
    }

    /// <summary>Applies the clock: overdue heartbeats turn critical, long-critical instances go.</summary>
    private bool EvaluateLocked(DateTimeOffset now)
    {
        var changed = false;
        foreach (var entry in _entries.Values.ToList())
        {
            var id = entry.Registration.Instance.InstanceId;
            if (entry.Status < InstanceHealth.Critical && now >= entry.TtlDeadline)
            {
                var before = entry.EffectiveHealth;
                entry.SetStatus(InstanceHealth.Critical, $"TTL of {entry.Registration.Ttl} expired: no heartbeat since {entry.LastHeartbeat?.ToString("O", System.Globalization.CultureInfo.InvariantCulture) ?? "registration"}", now);
                Log.TtlExpired(_logger, id, entry.Registration.Ttl, before);
                changed = true;
            }

            if (entry.CriticalSince is { } since && now - since >= entry.Registration.DeregisterCriticalAfter)
            {
                _entries.Remove(id);
                Log.Reaped(_logger, id, entry.Registration.DeregisterCriticalAfter);
                changed = true;
            }
        }

        return changed;
    }

    private void SignalLocked()
    {
        var old = _changed;
        _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1120, Level = LogLevel.Information, Message = "Registry: {Id} registered ({Service} at {Address}:{Port}, TTL {Ttl})")]
        public static partial void Registered(ILogger logger, string id, string service, string address, int port, TimeSpan ttl);

        [LoggerMessage(EventId = 1121, Level = LogLevel.Information, Message = "Registry: {Id} deregistered")]
        public static partial void Deregistered(ILogger logger, string id);

        [LoggerMessage(EventId = 1122, Level = LogLevel.Warning, Message = "Registry: {Id} missed its heartbeat (TTL {Ttl}): {Before} -> critical, quiesced")]
        public static partial void TtlExpired(ILogger logger, string id, TimeSpan ttl, InstanceHealth before);

        [LoggerMessage(EventId = 1123, Level = LogLevel.Warning, Message = "Registry: {Id} removed after being critical for {After}")]
        public static partial void Reaped(ILogger logger, string id, TimeSpan after);

        [LoggerMessage(EventId = 1124, Level = LogLevel.Information, Message = "Registry: {Id} {Before} -> {After}: {Output}")]
        public static partial void StatusChanged(ILogger logger, string id, InstanceHealth before, InstanceHealth after, string output);

        [LoggerMessage(EventId = 1125, Level = LogLevel.Information, Message = "Registry: {Id} maintenance {Enable}: {Reason}")]
        public static partial void Maintenance(ILogger logger, string id, bool enable, string reason);

        [LoggerMessage(EventId = 1126, Level = LogLevel.Warning, Message = "Registry: ignored: {Problem}")]
        public static partial void Ignored(ILogger logger, string problem);
    }
}
