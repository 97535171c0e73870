using LoadBalancing.Health;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Director.Control;

/// <summary>
/// The health checker the control API's <c>WatchHealth</c> streams from: the one registered in the director's
/// container (<c>AddHealthChecks()</c>), resolved when a watch starts; none when health checks are not enabled.
/// </summary>
internal sealed class HealthEventSource(IServiceProvider services)
{
    public HealthChecker? Checker => services.GetService<HealthChecker>();
}
