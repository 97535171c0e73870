using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Control;

/// <summary>
/// The health checker the control API's <c>WatchHealth</c> streams from: the one registered in the director's
/// container (<c>AddHealthChecks()</c>), resolved when a watch starts; none when health checks are not enabled. With
/// outlier detection registered too, the watch also carries its ejections and returns.
/// </summary>
internal sealed class HealthEventSource(IServiceProvider services)
{
    public HealthChecker? Checker => services.GetService<HealthChecker>();

    /// <summary>Gets the outlier detector (passive health), when <c>AddOutlierDetection()</c> registered one.</summary>
    public OutlierDetector? Detector => services.GetService<OutlierDetector>();
}
