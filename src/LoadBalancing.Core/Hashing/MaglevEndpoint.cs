namespace LoadBalancing.Hashing;

/// <summary>An endpoint of a <see cref="MaglevTable"/>: a stable identifier and a weight.</summary>
/// <param name="Id">
/// The endpoint's identifier. Its permutation of the table derives from this value alone, so an endpoint keeps
/// its preferred slots across rebuilds and processes as long as its identifier does not change.
/// </param>
/// <param name="Weight">The relative share of slots, 0 or more; 0 keeps the endpoint in the set without slots.</param>
public readonly record struct MaglevEndpoint(ulong Id, int Weight);
