using LoadBalancing.Consul;
using LoadBalancing.Consul.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Consul client.</summary>
public static class ConsulServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="IConsulClient"/> configured from the environment
    /// (<see cref="ConsulClientOptions.FromEnvironment"/>), then by <paramref name="configure"/>, e.g.
    /// <c>services.AddConsulClient(o =&gt; o with { Datacenter = "dc1" })</c>. Also adds
    /// <see cref="TimeProvider.System"/> unless a time provider is registered. Nothing is added when an
    /// <see cref="IConsulClient"/> is registered already.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts the options read from the environment.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddConsulClient(this IServiceCollection services, Func<ConsulClientOptions, ConsulClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.AddConsulClientCore(_ =>
        {
            var options = ConsulClientOptions.FromEnvironment();
            return configure is null ? options : configure(options);
        });
    }

    /// <summary>Adds a singleton <see cref="IConsulClient"/> with the given options (the environment is not read).</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">The options.</param>
    /// <returns>The service collection.</returns>
    public static IServiceCollection AddConsulClient(this IServiceCollection services, ConsulClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        return services.AddConsulClientCore(_ => options);
    }

    private static IServiceCollection AddConsulClientCore(this IServiceCollection services, Func<IServiceProvider, ConsulClientOptions> options)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(options);
        services.TryAddSingleton<IConsulClient>(sp => new ConsulClient(
            sp.GetRequiredService<ConsulClientOptions>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("LoadBalancing.Consul")));
        return services;
    }
}
