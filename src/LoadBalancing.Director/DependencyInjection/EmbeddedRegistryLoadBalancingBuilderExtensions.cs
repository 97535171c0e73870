using LoadBalancing.Director.Control;
using LoadBalancing.Director.Discovery;
using LoadBalancing.Director.Discovery.Registry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the director's embedded registry: <c>services.AddLoadBalancing().AddDirector().AddEmbeddedRegistry()</c>.</summary>
public static class EmbeddedRegistryLoadBalancingBuilderExtensions
{
    /// <summary>
    /// Adds the embedded registry: the <c>loadbalancing.registry.v1.Registry</c> gRPC service on the control API
    /// (same endpoints and authentication) and a discovery provider that feeds its instances into the director table.
    /// Agents register there when no Consul is configured (<c>lbagent</c> with <c>Agent:Registration:Director</c>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddEmbeddedRegistry(this ILoadBalancingBuilder builder, Action<EmbeddedRegistryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<EmbeddedRegistryOptions>().ValidateOnStart();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => o.MaxInstances > 0, "Director:Registry:MaxInstances: expected at least 1");
        options.Validate(o => o.MinTtl >= TimeSpan.FromMilliseconds(100), "Director:Registry:MinTtl: expected at least 100 ms");
        options.Validate(o => o.DefaultDeregisterCriticalAfter >= TimeSpan.FromSeconds(1), "Director:Registry:DefaultDeregisterCriticalAfter: expected at least 1 s");
        options.Validate(o => !string.IsNullOrWhiteSpace(o.ProviderName), "Director:Registry:ProviderName: expected a non-empty name");
        services.TryAddSingleton<EmbeddedRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDiscoveryProvider, EmbeddedRegistry>(sp => sp.GetRequiredService<EmbeddedRegistry>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IControlApiService, RegistryControlApiService>());
        return builder;
    }
}
