using System.Collections.Immutable;

namespace LoadBalancing.Hashing;

/// <summary>
/// A Maglev consistent-hash lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
/// Balancer", NSDI 2016, §3.4), with weights and update diffs in the manner of katran's <c>MaglevHash</c>.
/// </summary>
/// <remarks>
/// <para>
/// Each endpoint has a permutation of the slots, <c>offset, offset + skip, offset + 2·skip, … (mod M)</c>, with
/// <c>offset = h1(id) mod M</c> and <c>skip = h2(id) mod (M − 1) + 1</c>; M is prime, so every permutation visits
/// every slot. Endpoints, ordered by identifier, take turns claiming the next free slot of their permutation
/// until the table is full. Weights enter as in katran's second version: every turn an endpoint adds its
/// weight to an accumulator and claims a slot each time the accumulator reaches the largest weight. Equal
/// weights therefore give every endpoint ⌊M/N⌋ or ⌈M/N⌉ slots, and removing an endpoint moves its slots plus
/// only a small fraction of the others (under 2 % of M in the tests), except in the algorithm's one weak case:
/// two endpoints with the same skip and offsets a few hundred steps apart walk nearly the same permutation, and
/// any change to the table reshuffles their race over it (about M/N more slots move; odds around 10⁻³ for 100
/// endpoints, as in the paper's algorithm and katran's).
/// </para>
/// <para>
/// Lookups are lock-free and allocation-free; updates are serialized, rebuild the table off to the side and
/// publish it atomically. h1 and h2 are SipHash-1-3 with fixed keys, so tables are identical across processes.
/// </para>
/// </remarks>
public sealed class MaglevTable
{
    /// <summary>The default table size, 65537 (a prime, as katran's default ring size).</summary>
    public const int DefaultSize = 65537;

    // Fixed SipHash keys for the two permutation hashes: the digits of π and of e (nothing-up-my-sleeve numbers).
    private const ulong OffsetKey0 = 0x243F6A8885A308D3;
    private const ulong OffsetKey1 = 0x13198A2E03707344;
    private const ulong SkipKey0 = 0xB7E151628AED2A6A;
    private const ulong SkipKey1 = 0xBF7158809CF4F3C7;

    private readonly Lock _updateLock = new();
    private Snapshot _snapshot;

    /// <summary>Builds a table.</summary>
    /// <param name="endpoints">The endpoints; identifiers must be distinct and weights non-negative.</param>
    /// <param name="size">The number of slots: a prime, <see cref="DefaultSize"/> unless given. It should be well over 100 × the endpoint count for even shares.</param>
    /// <exception cref="ArgumentException">Two endpoints share an identifier.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is not a prime or a weight is negative.</exception>
    public MaglevTable(IEnumerable<MaglevEndpoint> endpoints, int size = DefaultSize)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (!IsPrime(size))
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "The Maglev table size must be a prime so that every permutation covers every slot.");
        }

        Size = size;
        var sorted = endpoints.OrderBy(e => e.Id).ToImmutableArray();
        for (var i = 0; i < sorted.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(sorted[i].Weight, nameof(endpoints));
            if (i > 0 && sorted[i].Id == sorted[i - 1].Id)
            {
                throw new ArgumentException($"Endpoint {sorted[i].Id} appears more than once.", nameof(endpoints));
            }
        }

        _snapshot = new Snapshot(sorted, Populate(sorted, size));
    }

    /// <summary>Gets the number of slots.</summary>
    public int Size { get; }

    /// <summary>Gets the endpoints, ordered by identifier.</summary>
    public ImmutableArray<MaglevEndpoint> Endpoints => Volatile.Read(ref _snapshot).Endpoints;

    /// <summary>Finds the endpoint for a flow: the owner of slot <c><paramref name="hash"/> mod <see cref="Size"/></c>.</summary>
    /// <param name="hash">A well-mixed 64-bit hash of the flow key.</param>
    /// <param name="endpointId">The endpoint's identifier when found.</param>
    /// <returns><see langword="false"/> when no endpoint has a positive weight.</returns>
    public bool TryLookup(ulong hash, out ulong endpointId)
    {
        var snapshot = Volatile.Read(ref _snapshot);
        var index = snapshot.Slots[(int)(hash % (ulong)Size)];
        if (index < 0)
        {
            endpointId = 0;
            return false;
        }

        endpointId = snapshot.Endpoints[index].Id;
        return true;
    }

    /// <summary>Gets the owner of one slot.</summary>
    /// <param name="slot">The slot index.</param>
    /// <returns>The endpoint identifier, or <see langword="null"/> when the table is empty.</returns>
    public ulong? GetOwner(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Size);
        var snapshot = Volatile.Read(ref _snapshot);
        return Owner(snapshot, slot);
    }

    /// <summary>Adds an endpoint.</summary>
    /// <param name="endpoint">The endpoint; its identifier must not be in the table.</param>
    /// <returns>The slots that changed owner.</returns>
    /// <exception cref="ArgumentException">The identifier is already present.</exception>
    public ImmutableArray<MaglevSlotChange> AddEndpoint(MaglevEndpoint endpoint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(endpoint.Weight, nameof(endpoint));
        lock (_updateLock)
        {
            var current = _snapshot.Endpoints;
            var index = FindIndex(current, endpoint.Id);
            if (index >= 0)
            {
                throw new ArgumentException($"Endpoint {endpoint.Id} is already in the table.", nameof(endpoint));
            }

            return Publish(current.Insert(~index, endpoint));
        }
    }

    /// <summary>Removes an endpoint.</summary>
    /// <param name="endpointId">The endpoint's identifier.</param>
    /// <returns>The slots that changed owner; empty when the endpoint was not in the table.</returns>
    public ImmutableArray<MaglevSlotChange> RemoveEndpoint(ulong endpointId)
    {
        lock (_updateLock)
        {
            var current = _snapshot.Endpoints;
            var index = FindIndex(current, endpointId);
            return index < 0 ? [] : Publish(current.RemoveAt(index));
        }
    }

    /// <summary>Changes an endpoint's weight.</summary>
    /// <param name="endpointId">The endpoint's identifier.</param>
    /// <param name="weight">The new weight, 0 or more.</param>
    /// <returns>The slots that changed owner.</returns>
    /// <exception cref="KeyNotFoundException">The endpoint is not in the table.</exception>
    public ImmutableArray<MaglevSlotChange> SetWeight(ulong endpointId, int weight)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        lock (_updateLock)
        {
            var current = _snapshot.Endpoints;
            var index = FindIndex(current, endpointId);
            if (index < 0)
            {
                throw new KeyNotFoundException($"Endpoint {endpointId} is not in the table.");
            }

            return current[index].Weight == weight ? [] : Publish(current.SetItem(index, new MaglevEndpoint(endpointId, weight)));
        }
    }

    private static ulong? Owner(Snapshot snapshot, int slot)
    {
        var index = snapshot.Slots[slot];
        return index < 0 ? null : snapshot.Endpoints[index].Id;
    }

    private static int FindIndex(ImmutableArray<MaglevEndpoint> sorted, ulong id)
    {
        int lo = 0, hi = sorted.Length - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var c = sorted[mid].Id.CompareTo(id);
            if (c == 0)
            {
                return mid;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    private static bool IsPrime(int n)
    {
        if (n < 2)
        {
            return false;
        }

        for (var d = 2; (long)d * d <= n; d++)
        {
            if (n % d == 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>An endpoint's permutation of <paramref name="size"/> slots: its first slot and its step.</summary>
    internal static (int Offset, int Skip) Permutation(ulong id, int size)
        => ((int)(SipHash.Hash64(id, OffsetKey0, OffsetKey1) % (ulong)size), (int)(SipHash.Hash64(id, SkipKey0, SkipKey1) % (ulong)(size - 1)) + 1);

    /// <summary>Fills the slots with endpoint indexes (−1 when no endpoint has weight).</summary>
    private static int[] Populate(ImmutableArray<MaglevEndpoint> endpoints, int size)
    {
        var slots = new int[size];
        Array.Fill(slots, -1);
        var n = endpoints.Length;
        var maxWeight = 0;
        foreach (var e in endpoints)
        {
            maxWeight = Math.Max(maxWeight, e.Weight);
        }

        if (maxWeight == 0)
        {
            return slots;
        }

        var next = new int[n];
        var skip = new int[n];
        var credit = new long[n];
        for (var i = 0; i < n; i++)
        {
            (next[i], skip[i]) = Permutation(endpoints[i].Id, size);
        }

        var filled = 0;
        while (true)
        {
            for (var i = 0; i < n; i++)
            {
                // credit < maxWeight before the add, so at most one claim per turn.
                credit[i] += endpoints[i].Weight;
                if (credit[i] < maxWeight)
                {
                    continue;
                }

                credit[i] -= maxWeight;
                var c = next[i];
                while (slots[c] >= 0)
                {
                    c += skip[i];
                    if (c >= size)
                    {
                        c -= size;
                    }
                }

                slots[c] = i;
                next[i] = c;
                if (++filled == size)
                {
                    return slots;
                }
            }
        }
    }

    private ImmutableArray<MaglevSlotChange> Publish(ImmutableArray<MaglevEndpoint> endpoints)
    {
        var old = _snapshot;
        var updated = new Snapshot(endpoints, Populate(endpoints, Size));
        var changes = ImmutableArray.CreateBuilder<MaglevSlotChange>();
        for (var slot = 0; slot < Size; slot++)
        {
            var before = Owner(old, slot);
            var after = Owner(updated, slot);
            if (before != after)
            {
                changes.Add(new MaglevSlotChange(slot, before, after));
            }
        }

        Volatile.Write(ref _snapshot, updated);
        return changes.ToImmutable();
    }

    private sealed record Snapshot(ImmutableArray<MaglevEndpoint> Endpoints, int[] Slots);
}
