using System.Collections.Immutable;
using LoadBalancing.Model;

namespace LoadBalancing.Director.Discovery;

/// <summary>Everything one discovery provider currently knows: services with their real servers.</summary>
/// <param name="Services">The services; a service whose key the rules file also defines is ignored (the file wins).</param>
public sealed record DiscoverySnapshot(ImmutableArray<VirtualServiceConfig> Services);
