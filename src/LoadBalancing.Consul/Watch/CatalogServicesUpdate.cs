using System.Collections.Immutable;

namespace LoadBalancing.Consul.Watch;

/// <summary>One update of a catalog-services watch (<c>/v1/catalog/services</c>).</summary>
public sealed record CatalogServicesUpdate
{
    /// <summary>Service names (ordinal order) with the union of their instances' tags, from the last successful answer.</summary>
    public ImmutableSortedDictionary<string, ImmutableArray<string>> Services { get; init; } = ImmutableSortedDictionary<string, ImmutableArray<string>>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary><c>X-Consul-Index</c> of the last successful answer (0 before the first).</summary>
    public ulong Index { get; init; }

    /// <summary>Whether <see cref="Services"/> comes from a successful answer at all; a consumer must not drop services on an update without one.</summary>
    public bool HasResult { get; init; }

    /// <summary>The last query failed: <see cref="Services"/> is the last good set, kept, not a fresh one.</summary>
    public bool IsStale { get; init; }

    /// <summary>The failure that made the update stale.</summary>
    public Exception? Error { get; init; }

    /// <summary>Failures since the last success.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>When the last successful answer arrived (by the client's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset? LastSuccess { get; init; }
}
