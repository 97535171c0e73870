using LoadBalancing.Health;
using LoadBalancing.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers health checking of the service table's real servers.</summary>
public static class HealthCheckBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="HealthChecker"/>, a <see cref="ServiceTableHealthAdapter"/> that applies its results to the
    /// <see cref="ServiceTable"/> as runtime weights, and a hosted service that starts both. Options are validated
    /// when the host starts. Each part is added only if not registered already.
    /// </summary>
    /// <param name="builder">The LoadBalancing builder.</param>
    /// <param name="configure">Configures the options; defaults (TCP connect to each real server) when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddHealthChecks(this ILoadBalancingBuilder builder, Action<HealthCheckOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var options = services.AddOptions<HealthCheckOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HealthCheckOptions>, HealthCheckOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new HealthChecker(
            sp.GetRequiredService<IOptions<HealthCheckOptions>>().Value.MaxConcurrency,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<HealthChecker>>()));
        services.TryAddSingleton(sp =>
        {
            var o = sp.GetRequiredService<IOptions<HealthCheckOptions>>().Value;
            var time = sp.GetRequiredService<TimeProvider>();
            return new ServiceTableHealthAdapter(
                sp.GetRequiredService<ServiceTable>(),
                sp.GetRequiredService<HealthChecker>(),
                d => o.CreateProbe(d, time),
                o.GetPolicy);
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HealthCheckHostedService>());
        return builder;
    }
}
