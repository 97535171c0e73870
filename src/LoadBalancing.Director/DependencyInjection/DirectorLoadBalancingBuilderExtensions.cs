using LoadBalancing.Director;
using LoadBalancing.Director.Configuration;
using LoadBalancing.Director.Connections;
using LoadBalancing.Director.Control;
using LoadBalancing.Director.Discovery;
using LoadBalancing.Director.Metrics;
using LoadBalancing.Model;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the director to a LoadBalancing setup: <c>services.AddLoadBalancing().AddDirector(...)</c>.</summary>
public static class DirectorLoadBalancingBuilderExtensions
{
    /// <summary>
    /// Adds the director: the table from <see cref="DirectorOptions.RulesFile"/> and the discovery providers
    /// (reloaded on SIGHUP and file change), the static provider of <see cref="DirectorOptions.StaticRules"/>,
    /// the gRPC control API, and the <c>lb.*</c> forwarding and scheduler instruments on the <c>LoadBalancing</c> meter.
    /// Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Configures the options (after any configuration binding).</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddDirector(this ILoadBalancingBuilder builder, Action<DirectorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var optionsBuilder = services.AddOptions<DirectorOptions>().ValidateOnStart();
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<DirectorOptions>, DirectorOptionsValidator>());
        services.TryAddSingleton<DirectorTable>();
        services.AddMetrics();
        services.TryAddSingleton<DirectorMetrics>();
        CountSchedulerDecisions(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IDiscoveryProvider, StaticRulesDiscoveryProvider>());

        // Order matters: the table is loaded before the control API accepts calls.
        services.AddHostedService<DirectorHostedService>();
        services.TryAddSingleton<HealthEventSource>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConnectionSource, ConnectionTableSource>());
        services.TryAddSingleton<ControlApiHost>();
        services.AddHostedService(sp => sp.GetRequiredService<ControlApiHost>());
        return builder;
    }

    // Wraps the registered SchedulerRegistry (AddLoadBalancing's) so every scheduler the table creates counts its
    // decisions for lb.scheduler.decisions; done once, whatever the number of AddDirector calls.
    private static void CountSchedulerDecisions(IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SchedulerDecisions)))
        {
            return;
        }

        services.AddSingleton<SchedulerDecisions>();
        var registry = services.LastOrDefault(d => d.ServiceType == typeof(SchedulerRegistry) && !d.IsKeyedService);
        if (registry is null)
        {
            return;
        }

        services.Remove(registry);
        services.AddSingleton(sp =>
        {
            var inner = registry.ImplementationInstance as SchedulerRegistry
                ?? registry.ImplementationFactory?.Invoke(sp) as SchedulerRegistry
                ?? new SchedulerRegistry(sp.GetServices<ISchedulerFactory>());
            return sp.GetRequiredService<SchedulerDecisions>().Wrap(inner);
        });
    }

    /// <summary>Adds a discovery provider; its services are merged under the rules file's.</summary>
    /// <typeparam name="TProvider">The provider type, resolved from DI.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddDiscoveryProvider<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TProvider>(this ILoadBalancingBuilder builder)
        where TProvider : class, IDiscoveryProvider
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<IDiscoveryProvider, TProvider>();
        return builder;
    }

    /// <summary>Adds a static discovery provider with fixed services.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The provider's name, for logs.</param>
    /// <param name="config">The services.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddStaticDiscovery(this ILoadBalancingBuilder builder, string name, LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(config);
        builder.Services.AddSingleton<IDiscoveryProvider>(new StaticDiscoveryProvider(name, config));
        return builder;
    }
}
