namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Configures LoadBalancing services; returned by <see cref="LoadBalancingServiceCollectionExtensions.AddLoadBalancing"/>.</summary>
public interface ILoadBalancingBuilder
{
    /// <summary>Gets the service collection being configured.</summary>
    IServiceCollection Services { get; }
}
