using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Forwarding.Proxy.Internal.EventLoop;

/// <summary>The event-loop threads of one started <see cref="ProxyForwarder"/>.</summary>
[SupportedOSPlatform("linux")]
internal sealed class ProxyEventLoopGroup : IDisposable
{
    public ProxyEventLoopGroup(int threads, ILogger logger)
    {
        var count = threads > 0 ? threads : Environment.ProcessorCount;
        var loops = new ProxyEventLoop[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                loops[i] = new ProxyEventLoop(i, logger);
            }
        }
        catch
        {
            foreach (var loop in loops)
            {
                loop?.Dispose();
            }

            throw;
        }

        Loops = loops;
    }

    /// <summary>Gets the loops.</summary>
    public IReadOnlyList<ProxyEventLoop> Loops { get; }

    /// <summary>Stops every loop after the work already posted to it.</summary>
    public void Dispose()
    {
        foreach (var loop in Loops)
        {
            loop.Dispose();
        }
    }
}
