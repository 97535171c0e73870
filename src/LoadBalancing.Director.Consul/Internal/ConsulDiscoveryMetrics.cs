using System.Diagnostics.Metrics;

namespace LoadBalancing.Director.Consul.Internal;

/// <summary>The <c>lb.discovery.consul.*</c> instruments on the <c>LoadBalancing</c> meter.</summary>
internal static class ConsulDiscoveryMetrics
{
    public const string MeterName = "LoadBalancing";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Watches (catalog, or one service's health) currently failing: their last good pool is kept. Tagged provider and source.</summary>
    public static readonly UpDownCounter<long> StaleSources = Meter.CreateUpDownCounter<long>("lb.discovery.consul.stale", "{source}", "Consul watches whose last query failed; the director keeps their last good pool.");

    /// <summary>Failed Consul queries, tagged provider and source.</summary>
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>("lb.discovery.consul.failures", "{query}", "Failed Consul discovery queries.");

    /// <summary>Snapshots published to the director, tagged provider.</summary>
    public static readonly Counter<long> Snapshots = Meter.CreateCounter<long>("lb.discovery.consul.snapshots", "{snapshot}", "Discovery snapshots published to the director table.");
}
