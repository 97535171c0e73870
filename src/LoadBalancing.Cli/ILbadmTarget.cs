using LoadBalancing.Listing;
using LoadBalancing.Rules;

namespace LoadBalancing.Cli;

/// <summary>
/// What lbadm's commands run against: a rules file or a running director. Both give the same
/// <see cref="ListingSnapshot"/>, so every listing is rendered by the same <see cref="IpvsListing"/> code.
/// </summary>
/// <remarks>
/// Failures: <see cref="RuleApplyException"/> when the change is refused as the kernel would refuse it (exit 255),
/// <see cref="TargetException"/> when the target itself fails (unreadable file, unreachable director; exit 1).
/// </remarks>
internal interface ILbadmTarget : IDisposable
{
    /// <summary>Reads the table with its counters.</summary>
    ListingSnapshot Load();

    /// <summary>Applies one table change.</summary>
    void Apply(RuleCommand command);

    /// <summary>Applies a whole restore atomically.</summary>
    void Restore(IReadOnlyList<RuleCommand> commands);

    /// <summary>Returns the entries of <c>-L -c</c>, in the target's own order.</summary>
    IReadOnlyList<ListedConnection> Connections();
}
