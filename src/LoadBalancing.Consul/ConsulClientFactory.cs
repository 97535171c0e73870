using LoadBalancing.Consul.Internal;
using Microsoft.Extensions.Logging;

namespace LoadBalancing.Consul;

/// <summary>Creates <see cref="IConsulClient"/> instances without dependency injection.</summary>
public static class ConsulClientFactory
{
    /// <summary>Creates a client with its own HTTP connection pool; dispose it when done.</summary>
    /// <param name="options">Connection settings, e.g. <see cref="ConsulClientOptions.FromEnvironment"/>.</param>
    /// <param name="timeProvider">Clock for timeouts, back-off and rate limiting; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Logger for watch errors.</param>
    /// <returns>The client.</returns>
    public static IConsulClient Create(ConsulClientOptions options, TimeProvider? timeProvider = null, ILogger? logger = null)
        => new ConsulClient(options, timeProvider, logger);
}
