using System.Collections.Immutable;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Discovery;

/// <summary>
/// The instances a registry reports, grouped by source (a Consul service name, the embedded registry), turned into
/// virtual services by <see cref="DiscoveryConvention"/>. A critical instance (or one in maintenance) keeps its place
/// with weight 0 (quiesced: established connections continue, no new ones) from the moment it turns critical until
/// <see cref="CriticalGracePeriod"/> has passed; then it is left out. An instance the registry no longer lists is
/// left out at once (it deregistered). Not thread-safe: one provider loop owns it.
/// </summary>
public sealed class DiscoveryPool
{
    private readonly Dictionary<string, ImmutableArray<DiscoveredInstance>> _sources = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Source, string Instance), DateTimeOffset> _criticalSince = [];
    private readonly IReadOnlySet<string>? _knownSchedulers;

    /// <summary>Creates a pool.</summary>
    /// <param name="criticalGracePeriod">How long a critical instance stays quiesced before it is removed; <see cref="Timeout.InfiniteTimeSpan"/> keeps it until the registry drops it.</param>
    /// <param name="knownSchedulers">Scheduler names the director accepts; an unknown <c>lb-scheduler</c> falls back to <c>wlc</c> and is reported.</param>
    public DiscoveryPool(TimeSpan criticalGracePeriod, IReadOnlySet<string>? knownSchedulers = null)
    {
        if (criticalGracePeriod < TimeSpan.Zero && criticalGracePeriod != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(criticalGracePeriod), criticalGracePeriod, "expected a non-negative grace period or Timeout.InfiniteTimeSpan");
        }

        CriticalGracePeriod = criticalGracePeriod;
        _knownSchedulers = knownSchedulers;
    }

    /// <summary>Gets how long a critical instance stays quiesced before it is removed.</summary>
    public TimeSpan CriticalGracePeriod { get; }

    /// <summary>Gets the number of sources with instances.</summary>
    public int SourceCount => _sources.Count;

    /// <summary>Replaces the instances of one source, as of <paramref name="now"/>.</summary>
    /// <param name="source">The source (e.g. the Consul service name).</param>
    /// <param name="instances">All its instances now.</param>
    /// <param name="now">The current time: an instance that is critical and was not before starts its grace period now.</param>
    public void SetInstances(string source, IEnumerable<DiscoveredInstance> instances, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(instances);
        var list = instances.OrderBy(i => i.InstanceId, StringComparer.Ordinal).ToImmutableArray();
        _sources[source] = list;
        var present = new HashSet<string>(StringComparer.Ordinal);
        foreach (var instance in list)
        {
            present.Add(instance.InstanceId);
            var key = (source, instance.InstanceId);
            if (instance.Health >= InstanceHealth.Critical)
            {
                _criticalSince.TryAdd(key, now);
            }
            else
            {
                _criticalSince.Remove(key);
            }
        }

        foreach (var key in _criticalSince.Keys.Where(k => k.Source == source && !present.Contains(k.Instance)).ToList())
        {
            _criticalSince.Remove(key);
        }
    }

    /// <summary>Forgets a source and its instances (the registry says the whole service is gone).</summary>
    /// <param name="source">The source.</param>
    /// <returns>Whether it was known.</returns>
    public bool RemoveSource(string source)
    {
        foreach (var key in _criticalSince.Keys.Where(k => k.Source == source).ToList())
        {
            _criticalSince.Remove(key);
        }

        return _sources.Remove(source);
    }

    /// <summary>Maps the instances to virtual services as of <paramref name="now"/>.</summary>
    /// <param name="now">The current time, for the grace periods.</param>
    /// <returns>The services, when to build again, and what could not be mapped.</returns>
    public DiscoveryPoolResult Build(DateTimeOffset now)
    {
        var problems = ImmutableArray.CreateBuilder<string>();
        var services = new Dictionary<VirtualServiceKey, ServiceBuilder>();
        DateTimeOffset? nextExpiry = null;
        foreach (var (source, instances) in _sources.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var instance in instances)
            {
                if (_criticalSince.TryGetValue((source, instance.InstanceId), out var since) && CriticalGracePeriod != Timeout.InfiniteTimeSpan)
                {
                    var expiry = since + CriticalGracePeriod;
                    if (expiry <= now)
                    {
                        continue;
                    }

                    nextExpiry = nextExpiry is { } n && n <= expiry ? n : expiry;
                }

                AddInstance(services, instance, problems);
            }
        }

        var result = ImmutableArray.CreateBuilder<VirtualServiceConfig>(services.Count);
        foreach (var builder in services.Values.OrderBy(s => s.Key.ToString(), StringComparer.Ordinal))
        {
            if (builder.Build(_knownSchedulers, problems) is { } config)
            {
                result.Add(config);
            }
        }

        return new DiscoveryPoolResult(result.ToImmutable(), nextExpiry, problems.ToImmutable());
    }

    private static void AddInstance(Dictionary<VirtualServiceKey, ServiceBuilder> services, DiscoveredInstance instance, ImmutableArray<string>.Builder problems)
    {
        var name = $"{instance.ServiceName}/{instance.InstanceId}";
        var tags = instance.Tags.Where(t => t.StartsWith(DiscoveryConvention.VirtualServiceTagPrefix, StringComparison.Ordinal)).ToList();
        if (tags.Count == 0)
        {
            return;
        }

        if (!NetworkAddress.TryParse(instance.Address, out var address))
        {
            problems.Add($"{name}: address '{instance.Address}' is not an IP address");
            return;
        }

        if (instance.Port is < 0 or > ushort.MaxValue)
        {
            problems.Add($"{name}: port {instance.Port} is out of range");
            return;
        }

        instance.Meta.TryGetValue(DiscoveryConvention.ForwardMetaKey, out var forward);
        if (!DiscoveryConvention.TryParseForwarding(forward, out var method))
        {
            problems.Add($"{name}: meta {DiscoveryConvention.ForwardMetaKey}='{forward}' is not route, tunnel or masq");
            return;
        }

        var weight = instance.Health switch
        {
            InstanceHealth.Passing => instance.PassingWeight,
            InstanceHealth.Warning => instance.WarningWeight,
            _ => 0,
        };
        weight = Math.Clamp(weight, 0, RealServerConfig.MaxWeight);
        instance.Meta.TryGetValue(DiscoveryConvention.SchedulerMetaKey, out var scheduler);
        foreach (var tag in tags)
        {
            if (!DiscoveryConvention.TryParseVirtualService(tag, out var key, out var error))
            {
                problems.Add($"{name}: {error}");
                continue;
            }

            if (!key.IsFirewallMark && address.Family != key.Family && method != ForwardingMethod.Tunnel)
            {
                problems.Add($"{name}: {address} is not in the address family of {key} (only tunnelling mixes families)");
                continue;
            }

            if (!services.TryGetValue(key, out var builder))
            {
                services[key] = builder = new ServiceBuilder(key);
            }

            builder.Add(new RealServerConfig { Address = address, Port = (ushort)instance.Port, Method = method, Weight = weight }, scheduler, name);
        }
    }

    private sealed class ServiceBuilder(VirtualServiceKey key)
    {
        private readonly List<RealServerConfig> _servers = [];
        private string? _scheduler;
        private string? _schedulerFrom;

        public VirtualServiceKey Key => key;

        public void Add(RealServerConfig server, string? scheduler, string from)
        {
            if (_scheduler is null && !string.IsNullOrEmpty(scheduler))
            {
                _scheduler = scheduler;
                _schedulerFrom = from;
            }

            // The same real server registered twice (two nodes, two IDs): one destination, the better weight.
            var index = _servers.FindIndex(s => s.Address == server.Address && s.Port == server.Port);
            if (index < 0)
            {
                _servers.Add(server);
            }
            else if (server.Weight > _servers[index].Weight)
            {
                _servers[index] = server;
            }
        }

        public VirtualServiceConfig? Build(IReadOnlySet<string>? knownSchedulers, ImmutableArray<string>.Builder problems)
        {
            var config = new VirtualServiceConfig { Key = key, RealServers = [.. _servers] };
            if (_scheduler is not null)
            {
                if (knownSchedulers is null || knownSchedulers.Contains(_scheduler))
                {
                    config = config with { Scheduler = _scheduler };
                }
                else
                {
                    problems.Add($"{_schedulerFrom}: meta {DiscoveryConvention.SchedulerMetaKey}='{_scheduler}' is not a known scheduler; {key} uses {config.Scheduler}");
                }
            }

            var errors = new LoadBalancerConfig { Services = [config] }.Validate(knownSchedulers);
            if (errors.Count > 0)
            {
                problems.Add($"{key}: left out: {string.Join("; ", errors.Select(e => e.ToString()))}");
                return null;
            }

            return config;
        }
    }
}
