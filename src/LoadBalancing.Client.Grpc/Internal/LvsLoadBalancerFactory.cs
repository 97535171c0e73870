using Grpc.Net.Client.Balancer;
using Microsoft.Extensions.Options;

namespace LoadBalancing.Client.Grpc.Internal;

/// <summary>Creates the <see cref="GrpcLoadBalancingNames.Policy"/> balancer of each channel that asks for it.</summary>
internal sealed class LvsLoadBalancerFactory(ClientServices services, IOptions<GrpcLoadBalancingOptions> settings) : LoadBalancerFactory
{
    public override string Name => GrpcLoadBalancingNames.Policy;

    public override LoadBalancer Create(LoadBalancerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new LvsLoadBalancer(options.Controller, options.LoggerFactory, services, settings.Value);
    }
}
