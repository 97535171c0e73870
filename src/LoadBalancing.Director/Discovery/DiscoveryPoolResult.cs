using System.Collections.Immutable;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Discovery;

/// <summary>What <see cref="DiscoveryPool.Build"/> made of the instances at one moment.</summary>
/// <param name="Services">The virtual services, ordered by key.</param>
/// <param name="NextExpiry">When the next critical instance's grace period ends (build again then), or <see langword="null"/>.</param>
/// <param name="Problems">Instances or services that could not be mapped, with the reason; they are left out.</param>
public sealed record DiscoveryPoolResult(ImmutableArray<VirtualServiceConfig> Services, DateTimeOffset? NextExpiry, ImmutableArray<string> Problems);
