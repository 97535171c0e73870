using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Power of two choices, as <c>net/netfilter/ipvs/ip_vs_twos.c</c> (Linux 6.2+): draw two destinations at
/// random in proportion to their weights and take the one with the lower <c>overhead / weight</c>.
/// </summary>
/// <remarks>
/// <para>
/// The kernel sums W, the weights of the destinations that are not OVERLOAD and have weight &gt; 0, draws
/// <c>r1, r2 = get_random_u32_below(W + 1)</c> (uniform in [0, W]), walks the list subtracting each eligible
/// weight from both and takes, for each, the first destination where it drops to &lt;= 0. A draw of 0
/// therefore lands on the first eligible destination, which gets (w + 1) / (W + 1) of the draws. It returns
/// choice 2 when <c>w2 * oh1 &gt; w1 * oh2</c>, otherwise choice 1 (so choice 1 wins ties).
/// </para>
/// <para>
/// All of it is 32-bit <c>int</c> arithmetic in the kernel, built with wrapping signed overflow: the sum, the
/// remaining weights, the overhead <c>(act &lt;&lt; 8) + inact</c> and the products. This class does the same
/// in <c>unchecked</c> <see langword="int"/>s, so it makes the same choice for the same two draws even where
/// those wrap. Draws come from <see cref="SchedulerContext.Random"/> as <c>NextInt64(0, W + 1)</c>, which is
/// uniform like the kernel's; the kernel's generator itself cannot be reproduced.
/// </para>
/// <para>
/// The kernel walks the list twice per connection (O(n)). This keeps a Fenwick (prefix-sum) tree over the
/// eligible weights in list order instead, rebuilt in <see cref="OnDestinationsChanged"/> (membership, weights)
/// and updated in O(log n) from <see cref="OnLoadChanged"/> when an OVERLOAD flag flips. A draw r then lands
/// on the lowest position whose inclusive prefix sum is at least max(r, 1), which is exactly the destination
/// where the kernel's running <c>r - sum</c> first drops to &lt;= 0 (r = 0 lands on the first eligible one).
/// Only when the eligible weights sum past <see cref="int.MaxValue"/> - 1, where the kernel's
/// <c>int</c> sum wraps, does a pick fall back to the literal two-walk transcription, so that wrapping gives
/// the kernel's choice too.
/// </para>
/// </remarks>
internal sealed class PowerOfTwoChoicesScheduler : IScheduler
{
    private readonly Random _random;
    private readonly Lock _lock = new();
    private ImmutableArray<RealServerState> _destinations = [];

    // _weights[i]: the weight position i contributes to the draw (its weight when eligible, else 0).
    // _tree: Fenwick tree over _weights, 1-based (_tree[k] covers positions k - lowbit(k) .. k - 1).
    private int[] _weights = [];
    private long[] _tree = [0];
    private long _total;
    private int _topBit;

    public PowerOfTwoChoicesScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _random = context.Random;
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
    {
        var n = destinations.Length;
        var weights = new int[n];
        var tree = new long[n + 1];
        lock (_lock)
        {
            // Read weights and flags under the lock so that a concurrent OnLoadChanged, which waits for it,
            // is applied after this snapshot and never lost.
            long total = 0;
            for (var i = 0; i < n; i++)
            {
                weights[i] = EligibleWeight(destinations[i]);
                total += weights[i];
                tree[i + 1] += weights[i];
                var parent = i + 1 + ((i + 1) & -(i + 1));
                if (parent <= n)
                {
                    tree[parent] += tree[i + 1];
                }
            }

            var topBit = 1;
            while (topBit <= n)
            {
                topBit <<= 1;
            }

            _destinations = destinations;
            _weights = weights;
            _tree = tree;
            _total = total;
            _topBit = topBit >> 1;
        }
    }

    public void OnLoadChanged(RealServerState destination)
    {
        lock (_lock)
        {
            var position = destination.Position;
            var list = _destinations;

            // Not (or no longer) at that position in our list: the coming OnDestinationsChanged reads it anyway.
            if ((uint)position >= (uint)list.Length || !ReferenceEquals(list[position], destination))
            {
                return;
            }

            var weight = EligibleWeight(destination);
            var delta = (long)weight - _weights[position];
            if (delta == 0)
            {
                return;
            }

            _weights[position] = weight;
            _total += delta;
            var tree = _tree;
            for (var k = position + 1; k < tree.Length; k += k & -k)
            {
                tree[k] += delta;
            }
        }
    }

    public RealServerState? Pick(in SchedulingRequest request)
    {
        lock (_lock)
        {
            var total = _total;
            if (total == 0)
            {
                return null;
            }

            if (total >= int.MaxValue)
            {
                // The kernel's int sum (and total + 1) wraps: only its literal walk gives its choice.
                return PickByScan(_destinations);
            }

            // Draws in [0, total], as get_random_u32_below(total + 1).
            var rweight1 = Draw((uint)(total + 1));
            var rweight2 = Draw((uint)(total + 1));
            var position1 = LowerBound(Math.Max(rweight1, 1));
            var position2 = LowerBound(Math.Max(rweight2, 1));
            var choice1 = _destinations[position1];
            var choice2 = _destinations[position2];
            var weight1 = _weights[position1];
            var weight2 = _weights[position2];
            unchecked
            {
                return weight2 * Overhead(choice1) > weight1 * Overhead(choice2) ? choice2 : choice1;
            }
        }
    }

    private static int EligibleWeight(RealServerState dest)
        => dest.IsOverloaded ? 0 : Math.Max(dest.Weight, 0);

    /// <summary>The lowest position whose inclusive prefix sum of eligible weights is at least <paramref name="target"/> (1 &lt;= target &lt;= total).</summary>
    private int LowerBound(long target)
    {
        var tree = _tree;
        var k = 0;
        for (var bit = _topBit; bit != 0; bit >>= 1)
        {
            var next = k + bit;
            if (next < tree.Length && tree[next] < target)
            {
                k = next;
                target -= tree[next];
            }
        }

        return k;
    }

    /// <summary>The kernel's two walks, literally (only used when its int sum wraps).</summary>
    private RealServerState? PickByScan(ImmutableArray<RealServerState> list)
    {
        RealServerState? choice1 = null;
        RealServerState? choice2 = null;
        int weight1 = -1, weight2 = -1, overhead1 = 0, overhead2 = 0, totalWeight = 0;

        unchecked
        {
            foreach (var dest in list)
            {
                if (!dest.IsOverloaded)
                {
                    var weight = dest.Weight;
                    if (weight > 0)
                    {
                        totalWeight += weight;
                        choice1 = dest;
                    }
                }
            }

            if (choice1 is null)
            {
                return null;
            }

            // Add 1 so that the draws are inclusive from 0 to the sum; the kernel passes the int as a u32
            // ceiling, and get_random_u32_below(0) returns 0.
            totalWeight += 1;
            var rweight1 = Draw((uint)totalWeight);
            var rweight2 = Draw((uint)totalWeight);

            foreach (var dest in list)
            {
                if (dest.IsOverloaded)
                {
                    continue;
                }

                var weight = dest.Weight;
                if (weight <= 0)
                {
                    continue;
                }

                rweight1 -= weight;
                rweight2 -= weight;

                if (rweight1 <= 0 && weight1 == -1)
                {
                    choice1 = dest;
                    weight1 = weight;
                    overhead1 = Overhead(dest);
                }

                if (rweight2 <= 0 && weight2 == -1)
                {
                    choice2 = dest;
                    weight2 = weight;
                    overhead2 = Overhead(dest);
                }

                if (weight1 != -1 && weight2 != -1)
                {
                    break;
                }
            }

            // If the weights changed between the two walks, choice1 may still be the last eligible entry of
            // the first walk with weight1 = -1, as in the kernel.
            if (choice2 is not null && weight2 * overhead1 > weight1 * overhead2)
            {
                choice1 = choice2;
            }

            return choice1;
        }
    }

    // ip_vs_dest_conn_overhead returns an int: (activeconns << 8) + inactconns, wrapping like the kernel's.
    private static int Overhead(RealServerState dest)
        => unchecked((dest.ActiveConnections << 8) + dest.InactiveConnections);

    // The u32 result lands in an int variable in the kernel: values above int.MaxValue (only possible when
    // the weight sum wrapped) become negative.
    private int Draw(uint ceiling)
        => ceiling == 0 ? 0 : unchecked((int)(uint)_random.NextInt64(0, ceiling));
}
