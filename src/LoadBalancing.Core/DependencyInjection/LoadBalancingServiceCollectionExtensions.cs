using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the LoadBalancing core: the built-in schedulers, the scheduler registry and the service table.</summary>
public static class LoadBalancingServiceCollectionExtensions
{
    /// <summary>
    /// Adds a <see cref="SchedulerRegistry"/> with every built-in scheduler plus each registered
    /// <see cref="ISchedulerFactory"/>, a <see cref="ServiceTable"/> and
    /// <see cref="TimeProvider.System"/>, each only if not registered already, so any part can be replaced.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>A builder for further configuration.</returns>
    public static ILoadBalancingBuilder AddLoadBalancing(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(TimeProvider.System);

        // Built-ins come first and registered factories after, so a registered factory with a built-in's
        // name replaces it wherever it was registered.
        services.TryAddSingleton(sp => new SchedulerRegistry(BuiltInSchedulers.CreateFactories().Concat(sp.GetServices<ISchedulerFactory>())));
        services.TryAddSingleton(sp => new ServiceTable(sp.GetRequiredService<SchedulerRegistry>(), sp.GetRequiredService<TimeProvider>()));
        return new LoadBalancingBuilder(services);
    }

    /// <summary>Registers a scheduler; a scheduler with the name of a built-in one replaces it.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="name">The name used with <c>-s</c>.</param>
    /// <param name="create">Creates a scheduler for one service.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddScheduler(this ILoadBalancingBuilder builder, string name, Func<SchedulerContext, IScheduler> create)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(create);
        builder.Services.AddSingleton<ISchedulerFactory>(new DelegateSchedulerFactory(name, create));
        return builder;
    }

    /// <summary>Registers a scheduler factory type; a factory with the name of a built-in one replaces it.</summary>
    /// <typeparam name="TFactory">The factory type, resolved from DI.</typeparam>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddScheduler<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] TFactory>(this ILoadBalancingBuilder builder)
        where TFactory : class, ISchedulerFactory
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<ISchedulerFactory, TFactory>();
        return builder;
    }
}
