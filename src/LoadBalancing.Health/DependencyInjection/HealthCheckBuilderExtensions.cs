using LoadBalancing.Health;
using LoadBalancing.Health.Outliers;
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
    /// Adds a <see cref="HealthChecker"/>, a <see cref="ServiceTableHealthAdapter"/> that applies its results (and each
    /// service's quorum and sorry server, and the ejections of an <see cref="OutlierDetector"/> when one is registered)
    /// to the <see cref="ServiceTable"/> as runtime weights, and a hosted service that starts both. Options are validated
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
                o.GetPolicy,
                o.GetQuorum,
                sp.GetService<OutlierDetector>(),
                sp.GetService<ILogger<ServiceTableHealthAdapter>>());
        });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, HealthCheckHostedService>());
        return builder;
    }

    /// <summary>
    /// Adds passive health checking: an <see cref="OutlierDetector"/> over the <see cref="ServiceTable"/>, registered
    /// also as the <see cref="IPassiveHealthReporter"/> that forwarders and balancers report connection outcomes to,
    /// and started with the host. Calls <see cref="AddHealthChecks"/> (without options) so the
    /// <see cref="ServiceTableHealthAdapter"/> applies the ejections; configure active checks with
    /// <see cref="AddHealthChecks"/> as usual, or return no probe there to use passive checks alone.
    /// </summary>
    /// <param name="builder">The LoadBalancing builder.</param>
    /// <param name="options">The settings; Envoy's defaults when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid; the message names the option.</exception>
    public static ILoadBalancingBuilder AddOutlierDetection(this ILoadBalancingBuilder builder, OutlierDetectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options ??= new OutlierDetectionOptions();
        var problems = string.Join(" ", options.Validate());
        if (problems.Length > 0)
        {
            throw new ArgumentException($"Outlier detection options are invalid: {problems}", nameof(options));
        }

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new OutlierDetector(
            sp.GetRequiredService<ServiceTable>(),
            options,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILogger<OutlierDetector>>()));
        services.TryAddSingleton<IPassiveHealthReporter>(sp => sp.GetRequiredService<OutlierDetector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OutlierDetectionHostedService>());
        return builder.AddHealthChecks();
    }
}
