using Microsoft.Extensions.Hosting;

namespace LoadBalancing.Director.Control;

/// <summary>
/// The control API's inner web host lives and dies with the outer host, so it must not install its own console
/// lifetime (which would catch SIGTERM/Ctrl+C itself and print a second set of start-up lines).
/// </summary>
internal sealed class HostedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
