using System.Diagnostics;
using LoadBalancing.Model;
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
        if (changed && entry.SorryAdded && entry.Sorry is { } previous
            && (policy.SorryServer is not { } next || next.Address != previous.Address || next.Port != previous.Port))
        {
            // The policy names another sorry server (or none): the one the adapter added goes.
            RemoveAddedSorryServer(entry);
        }

        entry.Policy = policy;
        entry.Sorry = policy.SorryServer is { } sorry ? service.FindDestination(sorry.Address, sorry.Port) : null;

        // Found but not configured: added by this adapter on an earlier quorum loss (and kept across reloads).
        entry.SorryAdded = entry.Sorry is { } found && _table.IsRuntimeServer(found);
        entry.SorryFailed = false; // retried after every table or policy change

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
        bool? gained = null;
        long threshold;
        if (service.HasQuorum)
        {
            // keepalived: with quorum, the threshold is quorum − hysteresis; a live weight of 0 always loses it.
            threshold = (long)policy.Quorum - policy.Hysteresis;
            if (live == 0 || live < threshold)
            {
                SetLost(service, true);
                gained = false;
                Log.QuorumLost(Logger, service.Service.Key, live, policy.Quorum, policy.Hysteresis);
            }
        }
        else
        {
            threshold = (long)policy.Quorum + policy.Hysteresis;
            if (live >= threshold)
            {
                SetLost(service, false);
                gained = true;
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

        return gained is { } up
            ? new QuorumChange(service.Service, up, live, threshold, up ? null : service.Serving, _checker.TimeProvider.GetUtcNow())
            : null;
    }

    // Called under _lock: the sorry server serves exactly while the service has no quorum. One that is not among the
    // configured real servers is added to the service for that time (keepalived adds it to the IPVS service).
    private void ApplySorryServer(ServiceEntry service)
    {
        if (!service.HasQuorum && service.Sorry is null && service.Policy.SorryServer is { } target && !service.SorryFailed)
        {
            AddSorryServer(service, target);
        }

        var serving = !service.HasQuorum ? service.Sorry : null;
        if (!ReferenceEquals(serving, service.Serving))
        {
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

        if (service.HasQuorum && service.SorryAdded)
        {
            RemoveAddedSorryServer(service);
        }
    }

    // Called under _lock. The table raises Changed on this thread; OnTableChanged sees the lock held and skips the resync.
    private void AddSorryServer(ServiceEntry service, ProbeTarget target)
    {
        var policy = service.Policy;
        RealServerState? model = null;
        foreach (var destination in service.Service.Destinations)
        {
            model = destination;
        }

        var server = new RealServerConfig
        {
            Address = target.Address,
            Port = target.Port,
            Weight = policy.SorryServerWeight ?? 1,
            Method = policy.SorryServerMethod ?? model?.Config.Method ?? ForwardingMethod.Route,
            TunnelType = model?.Config.TunnelType ?? default,
            TunnelPort = model?.Config.TunnelPort ?? 0,
            TunnelChecksum = model?.Config.TunnelChecksum ?? default,
        };
        try
        {
            var added = _table.AddRuntimeServer(service.Service.Key, server);
            _servers[added] = new ServerEntry(added) { IsSorry = true };
            service.Sorry = added;
            service.SorryAdded = true;
            Log.SorryServerAdded(Logger, service.Service.Key, added, server.Method, server.Weight);
        }
        catch (Exception e) when (e is ConfigValidationException or InvalidOperationException)
        {
            // Not retried until the policy or the table changes: the same server would fail the same way.
            service.SorryFailed = true;
            Log.SorryServerMissing(Logger, service.Service.Key, target, e.Message);
        }
    }

    // Called under _lock.
    private void RemoveAddedSorryServer(ServiceEntry service)
    {
        if (service.Sorry is not { } added)
        {
            return;
        }

        service.Sorry = null;
        service.SorryAdded = false;
        _servers.Remove(added);
        if (_table.RemoveRuntimeServer(service.Service.Key, added.Address, added.Port))
        {
            Log.SorryServerRemoved(Logger, service.Service.Key, added);
        }
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

        /// <summary>Gets or sets the sorry server among the service's real servers: configured, or added by the adapter.</summary>
        public RealServerState? Sorry { get; set; }

        /// <summary>Gets or sets a value indicating whether <see cref="Sorry"/> was added by the adapter (removed again on quorum).</summary>
        public bool SorryAdded { get; set; }

        /// <summary>Gets or sets a value indicating whether adding the sorry server failed (not retried until the policy or table changes).</summary>
        public bool SorryFailed { get; set; }

        /// <summary>Gets or sets the sorry server serving now.</summary>
        public RealServerState? Serving { get; set; }

        public bool HasQuorum { get; set; } = true;
    }
}
