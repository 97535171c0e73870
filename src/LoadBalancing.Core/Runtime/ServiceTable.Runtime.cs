using System.Collections.Immutable;
using LoadBalancing.Model;

namespace LoadBalancing.Runtime;

/// <content>Real servers added at run time, outside the configuration (keepalived's <c>sorry_server</c>).</content>
public sealed partial class ServiceTable
{
    // Guarded by _writeLock. Never empty arrays: a service without runtime servers has no key.
    private readonly Dictionary<VirtualServiceKey, ImmutableArray<RealServerConfig>> _runtimeServers = [];

    /// <summary>
    /// Adds a real server to a running service without changing <see cref="Config"/>, as keepalived adds a
    /// <c>sorry_server</c> to the IPVS service when quorum is lost. It is listed and scheduled like any other server and
    /// stays across <see cref="Apply"/> while its service exists, until <see cref="RemoveRuntimeServer"/>; a configuration
    /// that itself has a server at the same address and port replaces it (the configured one wins, and is not removed by
    /// <see cref="RemoveRuntimeServer"/>).
    /// </summary>
    /// <param name="service">The running service.</param>
    /// <param name="server">The server.</param>
    /// <returns>The server's runtime state.</returns>
    /// <exception cref="InvalidOperationException">The service does not exist, or already has a server at that address and port.</exception>
    /// <exception cref="ConfigValidationException">The service with this server would be invalid (e.g. another address family); nothing was changed.</exception>
    public RealServerState AddRuntimeServer(VirtualServiceKey service, RealServerConfig server)
    {
        ArgumentNullException.ThrowIfNull(server);
        RealServerState added;
        lock (_writeLock)
        {
            var current = _snapshot;
            if (!current.ByKey.TryGetValue(service, out var state))
            {
                throw new InvalidOperationException($"Service {service} does not exist.");
            }

            if (state.FindDestination(server.Address, server.Port) is not null)
            {
                throw new InvalidOperationException($"Service {service} already has a real server {server.Address}:{server.Port}.");
            }

            var had = _runtimeServers.TryGetValue(service, out var previous);
            _runtimeServers[service] = had ? previous.Add(server) : [server];
            try
            {
                var effective = Merge(current.Config);
                effective.EnsureValid(_schedulers.Names);
                state.Apply(effective.Services.First(s => s.Key == service), _schedulers, _timeProvider);
            }
            catch
            {
                if (had)
                {
                    _runtimeServers[service] = previous;
                }
                else
                {
                    _runtimeServers.Remove(service);
                }

                throw;
            }

            added = state.FindDestination(server.Address, server.Port)!;
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return added;
    }

    /// <summary>Removes a real server added with <see cref="AddRuntimeServer"/>; it becomes unavailable as a removed server does.</summary>
    /// <param name="service">The service.</param>
    /// <param name="address">The server's address.</param>
    /// <param name="port">The server's port.</param>
    /// <returns>Whether such a runtime server was there (a configured server is never removed by this).</returns>
    public bool RemoveRuntimeServer(VirtualServiceKey service, NetworkAddress address, ushort port)
    {
        lock (_writeLock)
        {
            if (!_runtimeServers.TryGetValue(service, out var servers))
            {
                return false;
            }

            var index = -1;
            for (var i = 0; i < servers.Length && index < 0; i++)
            {
                if (servers[i].Address == address && servers[i].Port == port)
                {
                    index = i;
                }
            }

            if (index < 0)
            {
                return false;
            }

            servers = servers.RemoveAt(index);
            if (servers.IsEmpty)
            {
                _runtimeServers.Remove(service);
            }
            else
            {
                _runtimeServers[service] = servers;
            }

            var current = _snapshot;
            if (current.ByKey.TryGetValue(service, out var state))
            {
                state.Apply(Merge(current.Config).Services.First(s => s.Key == service), _schedulers, _timeProvider);
            }
        }

        Changed?.Invoke(this, EventArgs.Empty);
        return true;
    }

    /// <summary>Gets a value indicating whether a real server was added with <see cref="AddRuntimeServer"/> (and is not configured).</summary>
    /// <param name="destination">The real server.</param>
    /// <returns>Whether it is a runtime server.</returns>
    public bool IsRuntimeServer(RealServerState destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        lock (_writeLock)
        {
            return destination.IsAvailable
                && _runtimeServers.TryGetValue(destination.Service.Key, out var servers)
                && servers.Any(s => s.Address == destination.Address && s.Port == destination.Port);
        }
    }

    /// <summary>
    /// The configuration with the runtime servers appended to their services. Called under _writeLock; forgets the
    /// runtime servers of services that are gone and those the configuration now has itself, and all of them if they
    /// would make the configuration invalid (the configuration always applies).
    /// </summary>
    private LoadBalancerConfig WithRuntimeServers(LoadBalancerConfig config)
    {
        if (_runtimeServers.Count == 0)
        {
            return config;
        }

        var byKey = config.Services.ToDictionary(s => s.Key);
        foreach (var (key, servers) in _runtimeServers.ToArray())
        {
            var kept = byKey.TryGetValue(key, out var service)
                ? servers.RemoveAll(r => service.RealServers.Any(c => c.Address == r.Address && c.Port == r.Port))
                : [];
            if (kept.IsEmpty)
            {
                _runtimeServers.Remove(key);
            }
            else
            {
                _runtimeServers[key] = kept;
            }
        }

        var effective = Merge(config);
        if (effective.Validate(_schedulers.Names).Count > 0)
        {
            _runtimeServers.Clear();
            return config;
        }

        return effective;
    }

    // Called under _writeLock: the configuration with the runtime servers appended to their services.
    private LoadBalancerConfig Merge(LoadBalancerConfig config) => _runtimeServers.Count == 0 ? config : config with
    {
        Services = [.. config.Services.Select(s => _runtimeServers.TryGetValue(s.Key, out var extra) ? s with { RealServers = s.RealServers.AddRange(extra) } : s)],
    };
}
