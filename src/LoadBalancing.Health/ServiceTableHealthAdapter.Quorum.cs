using System.Diagnostics;
using LoadBalancing.Runtime;

namespace LoadBalancing.Health;

/// <content>Quorum with hysteresis and the sorry server, per virtual service (keepalived <c>update_quorum_state</c>).</content>
public sealed partial class ServiceTableHealthAdapter
{
    // Called under _lock: creates or refreshes a service's policy and finds its sorry server.
    private ServiceEntry ServiceFor(VirtualServiceState service)
    {
        var policy = _quorumFactory(service) ?? DefaultQuorum;
        var problems = string.Join(" ", policy.Validate());
        if (problems.Length > 0)
        {
            Log.QuorumPolicyInvalid(Logger, service.Key, problems);
            policy = DefaultQuorum;
        }

        if (!_services.TryGetValue(service, out var entry))
        {
            entry = new ServiceEntry(service);
            _services[service] = entry;
        }

        var changed = !Equals(entry.Policy, policy);
        entry.Policy = policy;
        entry.Sorry = policy.SorryServer is { } sorry ? service.FindDestination(sorry.Address, sorry.Port) : null;
        if (changed && policy.SorryServer is { } missing && entry.Sorry is null)
        {
            Log.SorryServerMissing(Logger, service.Key, missing);
        }

        return entry;
    }

    /// <summary>
    /// Recomputes a service's quorum from its live servers and applies every weight of the service. Called under
    /// _lock; returns the quorum change to publish once the lock is released.
    /// </summary>
    private QuorumChange? Evaluate(ServiceEntry service)
    {
        long live = 0;
        foreach (var destination in service.Service.Destinations)
        {
            if (_servers.TryGetValue(destination, out var entry) && !entry.IsSorry && entry.Up && !entry.Ejected)
            {
                live += entry.HealthWeight;
            }
        }

        var policy = service.Policy;
        QuorumChange? change = null;
        var now = _checker.TimeProvider.GetUtcNow();
        if (service.HasQuorum)
        {
            // keepalived: with quorum, the threshold is quorum − hysteresis; a live weight of 0 always loses it.
            var threshold = (long)policy.Quorum - policy.Hysteresis;
            if (live == 0 || live < threshold)
            {
                SetLost(service, true);
                change = new QuorumChange(service.Service, false, live, threshold, service.Sorry, now);
                Log.QuorumLost(Logger, service.Service.Key, live, policy.Quorum, policy.Hysteresis);
            }
        }
        else
        {
            var threshold = (long)policy.Quorum + policy.Hysteresis;
            if (live >= threshold)
            {
                SetLost(service, false);
                change = new QuorumChange(service.Service, true, live, threshold, null, now);
                Log.QuorumGained(Logger, service.Service.Key, live, policy.Quorum, policy.Hysteresis);
            }
        }

        ApplySorryServer(service);
        foreach (var destination in service.Service.Destinations)
        {
            if (_servers.TryGetValue(destination, out var entry))
            {
                Apply(service, entry);
            }
        }

        return change;
    }

    // Called under _lock: the sorry server serves exactly while the service has no quorum.
    private void ApplySorryServer(ServiceEntry service)
    {
        var serving = !service.HasQuorum ? service.Sorry : null;
        if (ReferenceEquals(serving, service.Serving))
        {
            return;
        }

        if (service.Serving is { } previous)
        {
            HealthMetrics.SorryServersActive.Add(-1);
            Log.SorryServerOut(Logger, service.Service.Key, previous);
        }

        if (serving is not null)
        {
            HealthMetrics.SorryServersActive.Add(1);
            Log.SorryServerIn(Logger, service.Service.Key, serving);
        }

        service.Serving = serving;
    }

    // Called under _lock: the one place that decides a real server's weight.
    private void Apply(ServiceEntry service, ServerEntry entry)
    {
        int weight;
        bool removed;
        if (entry.IsSorry)
        {
            var serving = ReferenceEquals(service.Serving, entry.Destination);
            weight = serving ? SorryWeight(service.Policy, entry) : 0;
            removed = !serving;
        }
        else if (entry.Ejected)
        {
            // Out of the pool as a failed active check would take it: removed unless inhibit_on_failure.
            weight = 0;
            removed = !entry.Inhibit;
        }
        else if (service.Serving is not null)
        {
            // keepalived's perform_quorum_state(vs, false): live servers leave while the sorry server serves.
            weight = 0;
            removed = true;
        }
        else
        {
            weight = entry.HealthWeight;
            removed = entry.HealthRemoved;
        }

        entry.Removed = removed;
        if (entry.Destination.IsAvailable && entry.Destination.Weight != weight)
        {
            _table.SetWeight(entry.Destination, weight);
        }
    }

    private static int SorryWeight(QuorumPolicy policy, ServerEntry entry)
        => policy.SorryServerWeight ?? (entry.ConfiguredWeight > 0 ? entry.ConfiguredWeight : 1);

    // Called under _lock.
    private static void SetLost(ServiceEntry service, bool lost)
    {
        if (service.HasQuorum == !lost)
        {
            return;
        }

        service.HasQuorum = !lost;
        HealthMetrics.ServicesWithoutQuorum.Add(lost ? 1 : -1);
        HealthMetrics.QuorumTransitions.Add(1, new TagList { { "service", service.Service.Key.ToString() }, { "state", lost ? "down" : "up" } });
    }

    /// <summary>What the adapter knows about one virtual service. Guarded by the adapter's lock.</summary>
    private sealed class ServiceEntry(VirtualServiceState service)
    {
        public VirtualServiceState Service { get; } = service;

        public QuorumPolicy Policy { get; set; } = DefaultQuorum;

        /// <summary>Gets or sets the configured sorry server found among the service's real servers.</summary>
        public RealServerState? Sorry { get; set; }

        /// <summary>Gets or sets the sorry server serving now.</summary>
        public RealServerState? Serving { get; set; }

        public bool HasQuorum { get; set; } = true;
    }
}
