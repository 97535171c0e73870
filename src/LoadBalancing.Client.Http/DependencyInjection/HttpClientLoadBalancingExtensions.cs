using LoadBalancing.Client;
using LoadBalancing.Client.Http;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Client-side load balancing for HttpClient: <c>services.AddHttpClient("orders").AddLoadBalancing(...)</c>.</summary>
public static class HttpClientLoadBalancingExtensions
{
    /// <summary>
    /// Sends every request of this HttpClient to a real server of a virtual service of the <c>ServiceTable</c>, chosen by
    /// the service's scheduler (rr, wrr, lc, wlc, sh, mh …) and weights; reports outcomes to the registered
    /// <c>IPassiveHealthReporter</c> (<c>AddOutlierDetection</c>) and retries idempotent requests whose connect failed on
    /// another server. Registers the LoadBalancing core (<c>AddLoadBalancing</c>) and <see cref="ClientServices"/> if
    /// needed. Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The HttpClient builder.</param>
    /// <param name="configure">Configures the options; by default the virtual service is the request URI's host and port.</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder AddLoadBalancing(this IHttpClientBuilder builder, Action<HttpLoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddLoadBalancing().AddClientServices();
        var options = services.AddOptions<HttpLoadBalancingOptions>(builder.Name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HttpLoadBalancingOptions>, HttpLoadBalancingOptionsValidator>());
        var name = builder.Name;
        builder.AddHttpMessageHandler(sp => new LoadBalancingHandler(
            sp.GetRequiredService<ClientServices>(),
            sp.GetRequiredService<IOptionsMonitor<HttpLoadBalancingOptions>>().Get(name),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<LoadBalancingHandler>()));
        return builder;
    }
}
