namespace LoadBalancing.Hashing;

/// <summary>One slot of a <see cref="MaglevTable"/> whose owner changed in an update.</summary>
/// <param name="Slot">The slot index, 0 to <see cref="MaglevTable.Size"/> − 1.</param>
/// <param name="Previous">The endpoint that owned the slot before, or <see langword="null"/> if it was empty.</param>
/// <param name="Current">The endpoint that owns it now, or <see langword="null"/> if it is empty.</param>
public readonly record struct MaglevSlotChange(int Slot, ulong? Previous, ulong? Current);
