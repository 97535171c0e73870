using System.Diagnostics.Metrics;
using System.Runtime.Versioning;
using LoadBalancing.Connections;
using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Forwarding.Metrics;
using LoadBalancing.Health.Outliers;
using LoadBalancing.Runtime;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Linux Direct-Routing forwarder.</summary>
public static class DirectRoutingBuilderExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="DirectRoutingForwarder"/> over the registered <see cref="ServiceTable"/> and
    /// the registered <see cref="ConnectionTable"/> (one is registered on the registered <see cref="TimeProvider"/>
    /// if there is none yet), so the director's connection listing (<c>lbadm -Lnc</c>) shows its connections.
    /// The host starts it (<see cref="DirectRoutingForwarder.StartAsync"/>, e.g. from a hosted service) and stops it
    /// by disposing the provider or calling <see cref="DirectRoutingForwarder.StopAsync"/>. When an
    /// <see cref="IPassiveHealthReporter"/> is registered (<c>AddOutlierDetection</c>, in any order), the forwarder
    /// reports the TCP handshakes it sees to it (<see cref="DirectRoutingPassiveHealthExtensions.ReportTo"/>).
    /// When an <see cref="IMeterFactory"/> is registered (every generic host, or <c>AddMetrics()</c>), the forwarder's
    /// <see cref="DirectRoutingForwarder.Statistics"/> are observed as the <c>lb.dr.*</c> instruments of the
    /// <c>LoadBalancing</c> meter (<c>lb.dr.frames</c> by <c>lb.verdict</c>, <c>lb.dr.send_errors</c>,
    /// <c>lb.dr.kernel_drops</c>, <c>lb.dr.fast_path.*</c>, <c>lb.dr.kernel_scheduled</c>; docs/director.md).
    /// </summary>
    /// <param name="builder">The builder from <c>AddLoadBalancing()</c>.</param>
    /// <param name="configure">Sets the options; <see cref="DirectRoutingOptions.InterfaceName"/> is required.</param>
    /// <returns>The builder.</returns>
    [SupportedOSPlatform("linux")]
    public static ILoadBalancingBuilder AddDirectRoutingForwarder(this ILoadBalancingBuilder builder, Action<DirectRoutingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new DirectRoutingOptions();
        configure(options);
        builder.Services.TryAddSingleton(options);
        builder.Services.TryAddSingleton(sp => new ConnectionTable(sp.GetService<TimeProvider>()));
        builder.Services.TryAddSingleton(sp =>
        {
            var forwarder = new DirectRoutingForwarder(
                sp.GetRequiredService<ServiceTable>(),
                sp.GetRequiredService<DirectRoutingOptions>(),
                sp.GetRequiredService<ConnectionTable>(),
                sp.GetService<ILogger<DirectRoutingForwarder>>());

            // The bridge lives as long as the forwarder and its table (singletons), so it is not disposed.
            if (sp.GetService<IPassiveHealthReporter>() is { } reporter)
            {
                _ = forwarder.ReportTo(reporter);
            }

            // The instruments are read only when collected; the factory owns (and disposes) their meter.
            if (sp.GetService<IMeterFactory>() is { } meters)
            {
                _ = new DirectRoutingMetrics(forwarder.Statistics, meters);
            }

            return forwarder;
        });
        return builder;
    }
}
