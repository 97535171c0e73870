using LoadBalancing.Director.Consul;
using LoadBalancing.Director.Consul.Internal;
using LoadBalancing.Director.Discovery;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Consul discovery to a director: <c>services.AddLoadBalancing().AddDirector().AddConsulDiscovery()</c>.</summary>
public static class ConsulDiscoveryLoadBalancingBuilderExtensions
{
    /// <summary>
    /// Adds the Consul discovery provider and, unless one is registered, an <c>IConsulClient</c> configured from the
    /// <c>CONSUL_*</c> environment variables (<c>CONSUL_HTTP_ADDR</c>, <c>CONSUL_HTTP_TOKEN</c>, TLS…). Options are
    /// validated when the host starts.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the options (after any configuration binding).</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddConsulDiscovery(this ILoadBalancingBuilder builder, Action<ConsulDiscoveryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<ConsulDiscoveryOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ConsulDiscoveryOptions>, ConsulDiscoveryOptionsValidator>());
        services.AddConsulClient();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDiscoveryProvider, ConsulDiscoveryProvider>());
        return builder;
    }
}
