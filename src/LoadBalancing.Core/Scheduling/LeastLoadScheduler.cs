using System.Collections.Immutable;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// lc, wlc, sed, nq, fo and ovf: the kernel scans every destination per connection; this keeps a segment tree over
/// list positions instead, so a pick reads the root and a load change costs O(log n), with the same choice.
/// </summary>
/// <typeparam name="TRule">The scheduler's eligibility, load and comparison (<see cref="ILeastLoadRule"/>).</typeparam>
/// <remarks>
/// Leaf <c>i</c> holds a <see cref="LoadKey"/> snapshot of destination <c>i</c> (kernel order, newest first).
/// Each inner node holds the position of the best eligible destination in its range, or -1: the left
/// (lower positions) child's best unless the right child's best strictly replaces it. Because
/// <see cref="ILeastLoadRule.Replaces"/> is a strict preorder, the root is the lowest-positioned minimum,
/// which is what the kernel's first-wins linear scan returns.
/// <para>
/// Snapshots are refreshed from <see cref="IScheduler.OnLoadChanged"/> (counters, OVERLOAD) and rebuilt in
/// <see cref="OnDestinationsChanged"/> (membership, weights). Between a counter change and its notification a
/// pick sees the previous load, as a concurrent kernel scan may.
/// </para>
/// </remarks>
internal sealed class LeastLoadScheduler<TRule> : IScheduler
    where TRule : struct, ILeastLoadRule
{
    private readonly Lock _lock = new();
    private ImmutableArray<RealServerState> _destinations = [];

    // Leaves: _keys[i] for position i. Tree: _nodes[1] is the root, node k has children 2k and 2k+1, and
    // leaf i is node _leafBase + i; unused leaves (i >= n) are -1 ("nobody").
    private LoadKey[] _keys = [];
    private int[] _nodes = [-1, -1];
    private int _leafBase = 1;

    public LeastLoadScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
    {
        var n = destinations.Length;
        var leafBase = 1;
        while (leafBase < n)
        {
            leafBase <<= 1;
        }

        var keys = new LoadKey[n];
        var nodes = new int[2 * leafBase];
        nodes.AsSpan().Fill(-1);

        lock (_lock)
        {
            // Read the keys under the lock so that a concurrent OnLoadChanged, which waits for the lock, is
            // applied after this snapshot and never lost.
            for (var i = 0; i < n; i++)
            {
                keys[i] = TRule.KeyOf(destinations[i]);
                nodes[leafBase + i] = keys[i].Eligible ? i : -1;
            }

            for (var k = leafBase - 1; k >= 1; k--)
            {
                nodes[k] = Combine(keys, nodes[2 * k], nodes[(2 * k) + 1]);
            }

            _destinations = destinations;
            _keys = keys;
            _nodes = nodes;
            _leafBase = leafBase;
        }
    }

    public void OnLoadChanged(RealServerState destination)
    {
        lock (_lock)
        {
            var position = destination.Position;
            var list = _destinations;

            // A destination not (or not yet) in our list, or one whose position moved before the rebuild
            // reached us: the coming OnDestinationsChanged reads its counters anyway.
            if ((uint)position >= (uint)list.Length || !ReferenceEquals(list[position], destination))
            {
                return;
            }

            var keys = _keys;
            var nodes = _nodes;
            var key = TRule.KeyOf(destination);
            keys[position] = key;
            var k = _leafBase + position;
            nodes[k] = key.Eligible ? position : -1;
            for (k >>= 1; k >= 1; k >>= 1)
            {
                nodes[k] = Combine(keys, nodes[2 * k], nodes[(2 * k) + 1]);
            }
        }
    }

    public RealServerState? Pick(in SchedulingRequest request)
    {
        lock (_lock)
        {
            var best = _nodes[1];
            return best < 0 ? null : _destinations[best];
        }
    }

    private static int Combine(LoadKey[] keys, int left, int right)
    {
        if (left < 0)
        {
            return right;
        }

        if (right < 0)
        {
            return left;
        }

        return TRule.Replaces(keys[right], keys[left]) ? right : left;
    }
}
