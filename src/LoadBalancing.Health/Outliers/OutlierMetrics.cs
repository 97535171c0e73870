using System.Diagnostics.Metrics;

namespace LoadBalancing.Health.Outliers;

/// <summary>The <c>lb.health.outlier.*</c> instruments on the <c>LoadBalancing</c> meter.</summary>
internal static class OutlierMetrics
{
    private static readonly Meter Meter = new(HealthMetrics.MeterName);

    /// <summary>Ejections, tagged reason (consecutive_failures, success_rate, failure_percentage).</summary>
    public static readonly Counter<long> Ejections = Meter.CreateCounter<long>("lb.health.outlier.ejections", "{ejection}", "Real servers ejected by passive health checking.");

    /// <summary>Outliers detected but not ejected, tagged reason and why (max_ejection_percent, enforcement).</summary>
    public static readonly Counter<long> Skipped = Meter.CreateCounter<long>("lb.health.outlier.skipped", "{ejection}", "Outliers detected but left in the pool.");

    /// <summary>Real servers currently ejected.</summary>
    public static readonly UpDownCounter<long> Ejected = Meter.CreateUpDownCounter<long>("lb.health.outlier.ejected", "{server}", "Real servers currently ejected.");

    /// <summary>Reports received, tagged result (success, failure).</summary>
    public static readonly Counter<long> Reports = Meter.CreateCounter<long>("lb.health.outlier.reports", "{report}", "Connection outcomes reported by forwarders and balancers.");
}
