using LoadBalancing.Health;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Creates the targets from the service table and starts the checker with the host; stops it with the host.</summary>
internal sealed class HealthCheckHostedService(HealthChecker checker, ServiceTableHealthAdapter adapter) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        adapter.Synchronize();
        checker.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        adapter.Dispose();
        await checker.DisposeAsync().ConfigureAwait(false);
    }
}
