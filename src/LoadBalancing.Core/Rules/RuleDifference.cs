namespace LoadBalancing.Rules;

/// <summary>
/// One change between two tables, as the ipvsadm command that makes it (<c>-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1</c>).
/// Applied in order to the first table, the commands of <see cref="RuleDiff.Compare"/> give the second.
/// </summary>
/// <param name="Kind">Whether the command adds, removes or replaces.</param>
/// <param name="Rule">The command, in <c>ipvsadm -S -n</c> form (numeric, thresholds kept).</param>
public sealed record RuleDifference(RuleDifferenceKind Kind, string Rule)
{
    /// <summary>Gets the diff marker: <c>+</c>, <c>-</c> or <c>~</c>.</summary>
    public char Marker => Kind switch
    {
        RuleDifferenceKind.Added => '+',
        RuleDifferenceKind.Removed => '-',
        _ => '~',
    };

    /// <summary>Formats the difference as lbadm diff prints it: <c>+ -A -t 10.0.0.1:80 -s rr</c>.</summary>
    /// <returns>The marker, a space and the rule.</returns>
    public override string ToString() => $"{Marker} {Rule}";
}
