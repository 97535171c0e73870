namespace Microsoft.Extensions.DependencyInjection;

internal sealed class LoadBalancingBuilder(IServiceCollection services) : ILoadBalancingBuilder
{
    public IServiceCollection Services { get; } = services;
}
