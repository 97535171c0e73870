using LoadBalancing.Client;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what client-side balancers (HttpClient, Grpc.Net.Client) share.</summary>
public static class ClientBalancingBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="ClientServices"/> over the registered <see cref="ServiceTable"/> and
    /// <see cref="IPassiveHealthReporter"/> (when one is registered, e.g. by <c>AddOutlierDetection</c>), and a hosted
    /// service that adds the static services to the table at start. Added only if not registered already.
    /// </summary>
    /// <param name="builder">The LoadBalancing builder.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddClientServices(this ILoadBalancingBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(sp => new ClientServices(
            sp.GetRequiredService<ServiceTable>(),
            sp.GetService<IPassiveHealthReporter>(),
            sp.GetServices<StaticServices>()));
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StaticServicesHostedService>());
        return builder;
    }

    /// <summary>
    /// Adds virtual services with fixed real servers and weights for client-side balancing, written as
    /// <c>lbadm</c>/<c>ipvsadm-restore</c> rules (numeric), e.g. <c>-A -t 10.0.0.1:80 -s wrr</c> and
    /// <c>-a -t 10.0.0.1:80 -r 127.0.0.1:5001 -m -w 3</c>. They are added to the service table at start (or at the first
    /// pick) unless the table already has a service with the same key.
    /// </summary>
    /// <param name="builder">The LoadBalancing builder.</param>
    /// <param name="rules">The rules, one command a line.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="FormatException">The rules are not valid; the message gives line, column and what was expected.</exception>
    public static ILoadBalancingBuilder AddStaticServices(this ILoadBalancingBuilder builder, string rules)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(StaticServices.Parse(rules));
        return builder.AddClientServices();
    }

    /// <summary>Adds virtual services with fixed real servers and weights for client-side balancing (see the rules overload).</summary>
    /// <param name="builder">The LoadBalancing builder.</param>
    /// <param name="config">The services.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ConfigValidationException">The configuration is invalid; the message names each field.</exception>
    public static ILoadBalancingBuilder AddStaticServices(this ILoadBalancingBuilder builder, LoadBalancerConfig config)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(new StaticServices(config));
        return builder.AddClientServices();
    }
}
