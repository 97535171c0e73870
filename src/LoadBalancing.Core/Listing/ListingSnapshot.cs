using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Listing;

/// <summary>What a listing prints: the services in kernel order with their figures, and the table facts of the header.</summary>
public sealed record ListingSnapshot
{
    /// <summary>The connection hash table size IPVS reports with the default <c>CONFIG_IP_VS_TAB_BITS=12</c>.</summary>
    public const int DefaultConnectionTableSize = 4096;

    /// <summary>Gets the services in kernel order.</summary>
    public ImmutableArray<ListedService> Services { get; init; } = [];

    /// <summary>Gets the connection table size shown in the version line.</summary>
    public int ConnectionTableSize { get; init; } = DefaultConnectionTableSize;

    /// <summary>Gets the timeouts (<c>--timeout</c>).</summary>
    public TimeoutConfig Timeouts { get; init; } = TimeoutConfig.Default;

    /// <summary>
    /// Builds a snapshot of a configuration with zero counters. Services keep configuration order; real servers
    /// are put in kernel order (the last added first), as IPVS would hold them after the same <c>-a</c> lines.
    /// </summary>
    /// <param name="config">The configuration.</param>
    /// <returns>The snapshot.</returns>
    public static ListingSnapshot FromConfig(LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var services = config.Services.Select(s => new ListedService
        {
            Config = s,
            RealServers = [.. s.RealServers.Reverse().Select(r => new ListedRealServer { Config = r, Weight = r.Weight })],
        });
        return new ListingSnapshot { Services = [.. services], Timeouts = config.Timeouts };
    }

    /// <summary>Builds a snapshot of a running service table with its counters.</summary>
    /// <param name="table">The table.</param>
    /// <returns>The snapshot.</returns>
    public static ListingSnapshot FromServiceTable(ServiceTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var services = table.Services.Select(s => new ListedService
        {
            Config = s.Config,
            Stats = ToCounters(s.Statistics),
            RealServers =
            [
                .. s.Destinations.Select(d => new ListedRealServer
                {
                    Config = d.Config,
                    Weight = d.Weight,
                    ActiveConnections = d.ActiveConnections,
                    InactiveConnections = d.InactiveConnections,
                    PersistentConnections = d.PersistentConnections,
                    Stats = ToCounters(d.Statistics),
                }),
            ],
        });
        return new ListingSnapshot { Services = [.. services], Timeouts = table.Config.Timeouts };
    }

    private static ListingCounters ToCounters(TrafficStatistics s)
        => new((ulong)s.Connections, (ulong)s.InPackets, (ulong)s.OutPackets, (ulong)s.InBytes, (ulong)s.OutBytes);
}
