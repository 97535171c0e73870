using LoadBalancing.Forwarding.Proxy;
using Microsoft.Extensions.Hosting;

namespace LoadBalancing.Director.Host;

/// <summary>Starts the userspace proxy forwarder with the host and stops it (draining flows) when the host stops.</summary>
internal sealed class ProxyForwarderHostedService(ProxyForwarder forwarder) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        forwarder.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => forwarder.StopAsync(cancellationToken);
}
