using Grpc.Net.Client.Balancer;
using LoadBalancing.Client;
using LoadBalancing.Client.Grpc;
using LoadBalancing.Client.Grpc.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Client-side load balancing for Grpc.Net.Client: <c>services.AddLoadBalancing().AddGrpcLoadBalancing()</c>.</summary>
public static class GrpcLoadBalancingBuilderExtensions
{
    /// <summary>
    /// Registers the <c>lb://ADDRESS:PORT</c> resolver (<see cref="ResolverFactory"/>) and the
    /// <see cref="GrpcLoadBalancingNames.Policy"/> policy (<see cref="LoadBalancerFactory"/>) for channels whose
    /// <c>GrpcChannelOptions.ServiceProvider</c> is the app's provider (<c>UseLoadBalancing</c> sets it), plus
    /// <see cref="ClientServices"/>. Call outcomes go to the registered <c>IPassiveHealthReporter</c>
    /// (<c>AddOutlierDetection</c>). Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The LoadBalancing builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns>The builder.</returns>
    public static ILoadBalancingBuilder AddGrpcLoadBalancing(this ILoadBalancingBuilder builder, Action<GrpcLoadBalancingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        builder.AddClientServices();
        var options = services.AddOptions<GrpcLoadBalancingOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GrpcLoadBalancingOptions>, GrpcLoadBalancingOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ResolverFactory, VirtualServiceResolverFactory>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<LoadBalancerFactory, LvsLoadBalancerFactory>());
        return builder;
    }
}
