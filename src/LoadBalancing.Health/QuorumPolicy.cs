namespace LoadBalancing.Health;

/// <summary>
/// A virtual service's quorum (keepalived <c>quorum</c>, <c>hysteresis</c>, <c>sorry_server</c>): the service has
/// quorum while the weights of its live real servers add up to enough; without quorum its sorry server, if any,
/// takes the traffic.
/// </summary>
/// <remarks>
/// As keepalived's <c>update_quorum_state</c>: a service with quorum loses it when the live weight drops below
/// <c>Quorum − Hysteresis</c> (or to 0); a service without quorum regains it when the live weight reaches
/// <c>Quorum + Hysteresis</c>. A live server is one that is up by its health checks and not ejected by outlier
/// detection; its weight is its current one (slow start and <c>misc_dynamic</c> included).
/// </remarks>
public sealed record QuorumPolicy
{
    /// <summary>Gets the live weight the service needs (<c>quorum</c>); 1 by default, so quorum is lost when no server is up.</summary>
    public int Quorum { get; init; } = 1;

    /// <summary>Gets the margin around <see cref="Quorum"/> that keeps the state from flapping (<c>hysteresis</c>); 0 by default.</summary>
    public int Hysteresis { get; init; }

    /// <summary>
    /// Gets the sorry server (<c>sorry_server</c>): the real server that takes the traffic while the service has no
    /// quorum, and none while it has. As keepalived, when it is not one of the service's real servers it is added to
    /// the service (<see cref="Runtime.ServiceTable.AddRuntimeServer"/>) when quorum is lost and removed when quorum
    /// returns; when it is configured as a real server (usually with weight 0) it is kept at weight 0 and raised instead.
    /// It is not health-checked and not counted in the quorum. While it serves, the live real servers are set to
    /// weight 0 (keepalived removes them), and they come back when quorum is regained.
    /// </summary>
    public ProbeTarget? SorryServer { get; init; }

    /// <summary>
    /// Gets the sorry server's weight while it serves; when <see langword="null"/>, its configured weight when positive,
    /// else 1 (and 1 for a sorry server the adapter adds).
    /// </summary>
    public int? SorryServerWeight { get; init; }

    /// <summary>
    /// Gets the forwarding method of a sorry server the adapter adds; when <see langword="null"/>, the method (and
    /// tunnel settings) of the service's first real server, or <see cref="Model.ForwardingMethod.Route"/> (ipvsadm's
    /// default) when it has none. Not used for a configured sorry server.
    /// </summary>
    public Model.ForwardingMethod? SorryServerMethod { get; init; }

    /// <summary>Lists what is wrong with this policy.</summary>
    /// <returns>One message per problem, naming the option; empty when valid.</returns>
    public IEnumerable<string> Validate()
    {
        if (Quorum < 1)
        {
            yield return $"{nameof(Quorum)} must be at least 1.";
        }

        if (Hysteresis < 0 || Hysteresis >= Quorum && Quorum >= 1)
        {
            yield return $"{nameof(Hysteresis)} must be between 0 and {nameof(Quorum)} − 1.";
        }

        if (SorryServerWeight is < 1 or > Model.RealServerConfig.MaxWeight)
        {
            yield return $"{nameof(SorryServerWeight)} must be between 1 and {Model.RealServerConfig.MaxWeight}.";
        }

        if (SorryServerMethod is { } method && !Enum.IsDefined(method))
        {
            yield return $"{nameof(SorryServerMethod)} must be one of {string.Join(", ", Enum.GetNames<Model.ForwardingMethod>())}.";
        }
    }
}
