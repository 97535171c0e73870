using System.Diagnostics.Metrics;

namespace LoadBalancing.Health;

/// <summary>The <c>lb.health.*</c> instruments on the <c>LoadBalancing</c> meter.</summary>
internal static class HealthMetrics
{
    public const string MeterName = "LoadBalancing";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Completed checks (after retries), tagged target, probe and result (up/down).</summary>
    public static readonly Counter<long> Checks = Meter.CreateCounter<long>("lb.health.checks", "{check}", "Health checks completed, retries included in one check.");

    /// <summary>Single probe attempts' duration, tagged probe and result.</summary>
    public static readonly Histogram<double> ProbeDuration = Meter.CreateHistogram<double>("lb.health.probe.duration", "s", "Duration of one probe attempt.");

    /// <summary>State transitions, tagged target and new state.</summary>
    public static readonly Counter<long> Transitions = Meter.CreateCounter<long>("lb.health.transitions", "{transition}", "Health state changes (up/down).");

    /// <summary>Targets currently up.</summary>
    public static readonly UpDownCounter<long> TargetsUp = Meter.CreateUpDownCounter<long>("lb.health.targets.up", "{target}", "Targets currently up.");

    /// <summary>Quorum transitions of virtual services, tagged service and state (up/down).</summary>
    public static readonly Counter<long> QuorumTransitions = Meter.CreateCounter<long>("lb.health.quorum.transitions", "{transition}", "Virtual services losing (down) or regaining (up) quorum.");

    /// <summary>Virtual services currently without quorum.</summary>
    public static readonly UpDownCounter<long> ServicesWithoutQuorum = Meter.CreateUpDownCounter<long>("lb.health.quorum.lost", "{service}", "Virtual services currently without quorum.");

    /// <summary>Sorry servers currently serving.</summary>
    public static readonly UpDownCounter<long> SorryServersActive = Meter.CreateUpDownCounter<long>("lb.health.sorry_server.active", "{server}", "Sorry servers currently taking the traffic of their virtual service.");
}
