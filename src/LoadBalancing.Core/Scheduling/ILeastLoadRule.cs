using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// The per-scheduler part of lc, wlc, sed, nq, fo and ovf: which destinations take part, what their load is, and
/// when a later destination in the list beats an earlier one.
/// </summary>
/// <remarks>
/// <see cref="Replaces"/> must be the strict "less than" of a total preorder over the eligible keys. Then
/// the kernel's linear scan ("keep the current best unless a later entry is strictly better") returns the
/// lowest-positioned minimum, and so does any tree that combines two ranges by keeping the left (lower
/// positions) result unless the right one strictly replaces it: <see cref="LeastLoadScheduler{TRule}"/>
/// relies on exactly that to answer in O(1) and update in O(log n).
/// </remarks>
internal interface ILeastLoadRule
{
    /// <summary>Reads a destination's current state into the key the rule compares.</summary>
    static abstract LoadKey KeyOf(RealServerState destination);

    /// <summary>Whether <paramref name="candidate"/>, later in the list, replaces <paramref name="best"/>; both eligible.</summary>
    static abstract bool Replaces(in LoadKey candidate, in LoadKey best);
}
