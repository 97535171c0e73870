namespace LoadBalancing.Rules;

/// <summary>What a <see cref="RuleDifference"/> does to the table.</summary>
public enum RuleDifferenceKind
{
    /// <summary>Something is added (<c>-A</c>, <c>-a</c>); printed with <c>+</c>.</summary>
    Added,

    /// <summary>Something is removed (<c>-D</c>, <c>-d</c>); printed with <c>-</c>.</summary>
    Removed,

    /// <summary>Something is replaced (<c>-E</c>, <c>-e</c>, <c>--set</c>); printed with <c>~</c>.</summary>
    Changed,
}
