using LoadBalancing.Model;

namespace LoadBalancing.Listing;

/// <summary>One real server as a listing shows it: its configuration and its runtime figures.</summary>
public sealed record ListedRealServer
{
    /// <summary>Gets the server's configuration.</summary>
    public required RealServerConfig Config { get; init; }

    /// <summary>Gets the effective weight (may differ from the configured one at runtime).</summary>
    public int Weight { get; init; }

    /// <summary>Gets ActiveConn.</summary>
    public long ActiveConnections { get; init; }

    /// <summary>Gets InActConn.</summary>
    public long InactiveConnections { get; init; }

    /// <summary>Gets PersistConn.</summary>
    public long PersistentConnections { get; init; }

    /// <summary>Gets the traffic totals (<c>--stats</c>).</summary>
    public ListingCounters Stats { get; init; }

    /// <summary>Gets the rate estimates (<c>--rate</c>).</summary>
    public ListingCounters Rates { get; init; }
}
