using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Weighted round robin, as <c>net/netfilter/ipvs/ip_vs_wrr.c</c> (mainline 3.11 to 6.x, which added the
/// "stop after a full pass at weight 1" rule).
/// </summary>
/// <remarks>
/// State: a cursor <c>cl</c> (-1 = the list head), <c>di</c> = gcd of the positive weights (1 if none),
/// <c>mw</c> = max weight - (di - 1) and the current weight <c>cw</c>. A pick continues after the cursor
/// and takes the first destination that is not OVERLOAD with weight &gt;= cw; at the end of the list cw
/// drops by di, and below 1 it restarts at mw. Reducing mw by di - 1 makes the last pass run with cw = 1,
/// catching weights that dropped below di. So over one cycle (cw = mw down to 1) a destination of weight
/// w is taken w/di times.
/// <para>
/// Every add, delete and edit runs <c>ip_vs_wrr_dest_changed</c> once: the cursor goes back to the head,
/// di and mw are recomputed, and cw is kept unless it is 0 or above the new mw (then mw) or, with di &gt; 1,
/// rounded to <c>(cw / di) * di + 1</c>. Because cw carries over, the order of those hooks matters: servers
/// added one by one to an empty wrr service leave cw at 1 (the first server's mw), while switching a
/// populated service to wrr (<c>init_service</c>) starts at cw = mw. <see cref="OnDestinationsChanged"/>
/// receives a whole batch at once, so it replays the batch as the kernel would have seen it from the
/// individual commands, in the order the service table applies them: edits and deletions in old list
/// order, then additions oldest first.
/// </para>
/// </remarks>
internal sealed class WeightedRoundRobinScheduler : IScheduler
{
    private const int Head = -1;
    private const int NoStop = -2;

    private readonly Lock _lock = new();
    private ImmutableArray<RealServerState> _destinations = [];
    private bool _initialized;

    // What the last hook saw, to turn the next batch back into kernel hooks.
    private RealServerConfig[] _seenConfigs = [];
    private int[] _seenWeights = [];

    private int _cl = Head;
    private int _cw;
    private int _mw;
    private int _di = 1;

    public WeightedRoundRobinScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
    {
        var configs = new RealServerConfig[destinations.Length];
        var weights = new int[destinations.Length];
        for (var i = 0; i < destinations.Length; i++)
        {
            configs[i] = destinations[i].Config;
            weights[i] = destinations[i].Weight;
        }

        lock (_lock)
        {
            if (!_initialized)
            {
                // ip_vs_wrr_init_svc: the scheduler is bound to the service as it is now.
                _initialized = true;
                var (gcd, max) = GcdAndMax(weights);
                _cl = Head;
                _di = gcd;
                _mw = max - (gcd - 1);
                _cw = _mw;
            }
            else
            {
                Replay(_destinations, _seenConfigs, _seenWeights, destinations, weights);
            }

            _destinations = destinations;
            _seenConfigs = configs;
            _seenWeights = weights;
        }
    }

    public RealServerState? Pick(in SchedulingRequest request)
    {
        lock (_lock)
        {
            // No available dests? (every weight 0, or no destination at all)
            if (_mw == 0)
            {
                return null;
            }

            var list = _destinations;
            var n = list.Length;
            var dest = _cl;
            var last = dest;
            var stop = NoStop;
            var lastPass = false;
            var restarted = false;
            while (true)
            {
                // list_for_each_entry_continue: from the entry after dest to the end of the list.
                for (dest++; dest < n; dest++)
                {
                    var candidate = list[dest];
                    if (!candidate.IsOverloaded && candidate.Weight >= _cw)
                    {
                        _cl = dest;
                        return candidate;
                    }

                    if (dest == stop)
                    {
                        _cl = dest;
                        return null;
                    }
                }

                dest = Head;
                _cw -= _di;
                if (_cw <= 0)
                {
                    _cw = _mw;

                    // Stop if the last pass (cw = 1) already covered every destination: either it ran in
                    // full during this pick, or this pick started at the head so its first pass was it.
                    if (lastPass || last == Head)
                    {
                        _cl = Head;
                        return null;
                    }

                    restarted = true;
                }

                lastPass = _cw <= _di;
                if (lastPass && restarted && last != Head)
                {
                    // The first traversal checked weight >= 1 only after 'last'; check up to 'last' now.
                    stop = last;
                }
            }
        }
    }

    private static (int Gcd, int Max) GcdAndMax(ReadOnlySpan<int> weights)
    {
        var g = 0;
        var max = 0;
        foreach (var weight in weights)
        {
            g = AddToGcd(g, weight);
            max = Math.Max(max, weight);
        }

        return (g > 0 ? g : 1, max);
    }

    // ip_vs_wrr_gcd_weight folds only positive weights; 0 means "none yet".
    private static int AddToGcd(int g, int weight)
    {
        if (weight <= 0)
        {
            return g;
        }

        if (g <= 0)
        {
            return weight;
        }

        var a = weight;
        var b = g;
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private void Replay(
        ImmutableArray<RealServerState> old,
        RealServerConfig[] oldConfigs,
        int[] oldWeights,
        ImmutableArray<RealServerState> current,
        int[] currentWeights)
    {
        var stay = new Dictionary<RealServerState, int>(current.Length, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < current.Length; i++)
        {
            stay[current[i]] = i;
        }

        // Weights as the kernel would see them after each hook; -1 marks a deleted entry (never counted).
        var working = (int[])oldWeights.Clone();
        for (var i = 0; i < old.Length; i++)
        {
            if (!stay.TryGetValue(old[i], out var now))
            {
                working[i] = -1;
            }
            else if (!ReferenceEquals(oldConfigs[i], old[i].Config) || oldWeights[i] != currentWeights[now])
            {
                working[i] = currentWeights[now];
            }
            else
            {
                continue;
            }

            var (gcd, max) = GcdAndMax(working);
            DestChanged(gcd, max);
        }

        // Additions: the newest is at the head, so the oldest added is the highest new position. gcd and max
        // do not depend on list order, so each addition is folded into running values instead of a rescan.
        var known = new HashSet<RealServerState>(old, ReferenceEqualityComparer.Instance);
        var g = 0;
        var m = 0;
        foreach (var weight in working)
        {
            g = AddToGcd(g, weight);
            m = Math.Max(m, weight);
        }

        for (var i = current.Length - 1; i >= 0; i--)
        {
            if (known.Contains(current[i]))
            {
                continue;
            }

            g = AddToGcd(g, currentWeights[i]);
            m = Math.Max(m, currentWeights[i]);
            DestChanged(g > 0 ? g : 1, m);
        }

    }

    // ip_vs_wrr_dest_changed, given the gcd and max weight of the list after the change.
    private void DestChanged(int gcd, int max)
    {
        _cl = Head;
        _di = gcd;
        _mw = max - (gcd - 1);
        if (_cw > _mw || _cw == 0)
        {
            _cw = _mw;
        }
        else if (_di > 1)
        {
            _cw = (_cw / _di * _di) + 1;
        }
    }
}
