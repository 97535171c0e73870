using System.Collections.Immutable;
using LoadBalancing.Consul.Model;

namespace LoadBalancing.Consul.Watch;

/// <summary>One update of a health watch.</summary>
public sealed record ServiceHealthUpdate
{
    /// <summary>The instances of the last successful answer, ordered by node name, then service ID.</summary>
    public ImmutableArray<ServiceEntry> Entries { get; init; } = [];

    /// <summary><c>X-Consul-Index</c> of the last successful answer (0 before the first).</summary>
    public ulong Index { get; init; }

    /// <summary>Whether <see cref="Entries"/> comes from a successful answer at all; a consumer must not empty a pool on an update without one.</summary>
    public bool HasResult { get; init; }

    /// <summary>The last query failed: <see cref="Entries"/> is the last good set, kept, not a fresh one.</summary>
    public bool IsStale { get; init; }

    /// <summary>The failure that made the update stale.</summary>
    public Exception? Error { get; init; }

    /// <summary>Failures since the last success.</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>When the last successful answer arrived (by the client's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset? LastSuccess { get; init; }
}
