using LoadBalancing.Health.Outliers;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Starts the outlier detector's sweeps with the host and stops them with it.</summary>
internal sealed class OutlierDetectionHostedService(OutlierDetector detector) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        detector.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        detector.Dispose();
        return Task.CompletedTask;
    }
}
