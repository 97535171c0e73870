using LoadBalancing.Client;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the static services to the service table when the host starts, so a bad one stops the start.</summary>
internal sealed class StaticServicesHostedService(ClientServices services) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        services.EnsureStaticServices();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
