using System.Collections.Immutable;
using LoadBalancing.Model;

namespace LoadBalancing.Listing;

/// <summary>One virtual service as a listing shows it.</summary>
public sealed record ListedService
{
    /// <summary>Gets the service's configuration.</summary>
    public required VirtualServiceConfig Config { get; init; }

    /// <summary>Gets the real servers in kernel order (newest first).</summary>
    public ImmutableArray<ListedRealServer> RealServers { get; init; } = [];

    /// <summary>Gets the traffic totals (<c>--stats</c>).</summary>
    public ListingCounters Stats { get; init; }

    /// <summary>Gets the rate estimates (<c>--rate</c>).</summary>
    public ListingCounters Rates { get; init; }
}
