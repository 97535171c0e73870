namespace LoadBalancing.Director.Discovery;

/// <summary>
/// A source of virtual services and real servers besides the rules file (static options, Consul, …). The
/// director merges every provider's latest snapshot under the rules file's services, validates the whole
/// table and swaps it in; an invalid result is rejected and the running table stays.
/// </summary>
public interface IDiscoveryProvider
{
    /// <summary>Gets the provider's name, used in logs.</summary>
    string Name { get; }

    /// <summary>
    /// Streams complete snapshots: the first as soon as it is known, then one after every change. Ends when
    /// the provider has nothing more to say or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the director stops.</param>
    /// <returns>The snapshots.</returns>
    IAsyncEnumerable<DiscoverySnapshot> WatchAsync(CancellationToken cancellationToken);
}
