using System.Runtime.Versioning;
using LoadBalancing.Forwarding.DirectRouting;
using Microsoft.Extensions.Hosting;

namespace LoadBalancing.Director.Host;

/// <summary>Starts the Direct-Routing forwarder with the host (sockets in the process's network namespace) and stops it with the host.</summary>
[SupportedOSPlatform("linux")]
internal sealed class DirectRoutingForwarderHostedService(DirectRoutingForwarder forwarder) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => forwarder.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => forwarder.StopAsync(cancellationToken);
}
