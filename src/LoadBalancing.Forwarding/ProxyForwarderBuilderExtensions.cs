using System.Diagnostics.Metrics;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.Metrics;
using LoadBalancing.Forwarding.Proxy;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the userspace L4 proxy.</summary>
public static class ProxyForwarderBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="ProxyForwarder"/> over the registered <see cref="ServiceTable"/>, plus a
    /// <see cref="ConnectionTable"/> on the registered <see cref="TimeProvider"/> if none is registered yet (the
    /// DR forwarder shares it, so both see the same persistence templates and counters). The host starts the
    /// forwarder (<see cref="ProxyForwarder.Start"/>) and stops it (<see cref="ProxyForwarder.StopAsync"/>).
    /// When an <see cref="IPassiveHealthReporter"/> is registered (<c>AddOutlierDetection</c>, in any order), the
    /// forwarder reports every connect outcome to it (<see cref="ProxyForwarderPassiveHealthExtensions.ReportTo"/>), so
    /// real servers that keep refusing or timing out are ejected. When an <see cref="IMeterFactory"/> is registered
    /// (every generic host, or <c>AddMetrics()</c>), the forwarder's <see cref="ProxyForwarder.Statistics"/> and open
    /// flows are observed as the <c>lb.proxy.*</c> instruments of the <c>LoadBalancing</c> meter (docs/director.md).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddLoadBalancing()</c>.</param>
    /// <param name="options">Timeouts, limits and PROXY protocol; the defaults when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (the message names it).</exception>
    public static ILoadBalancingBuilder AddProxyForwarder(this ILoadBalancingBuilder builder, ProxyForwarderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options ??= ProxyForwarderOptions.Default;
        options.Validate();
        var services = builder.Services;
        services.TryAddSingleton(sp => new ConnectionTable(sp.GetService<TimeProvider>()));
        services.TryAddSingleton(options);
        services.TryAddSingleton(sp =>
        {
            var forwarder = new ProxyForwarder(
                sp.GetRequiredService<ServiceTable>(),
                sp.GetRequiredService<ConnectionTable>(),
                sp.GetRequiredService<ProxyForwarderOptions>(),
                sp.GetService<ILogger<ProxyForwarder>>(),
                sp.GetService<TimeProvider>());

            // The bridge lives as long as the forwarder (both singletons), so it is not disposed.
            if (sp.GetService<IPassiveHealthReporter>() is { } reporter)
            {
                _ = forwarder.ReportTo(reporter);
            }

            // The instruments are read only when collected; the factory owns (and disposes) their meter.
            if (sp.GetService<IMeterFactory>() is { } meters)
            {
                _ = new ProxyMetrics(forwarder, meters);
            }

            return forwarder;
        });
        return builder;
    }
}
