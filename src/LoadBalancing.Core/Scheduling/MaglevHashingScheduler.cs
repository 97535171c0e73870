using System.Collections.Immutable;
using System.Numerics;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Maglev hashing, as <c>net/netfilter/ipvs/ip_vs_mh.c</c> (Linux 4.18+, unchanged in substance through 6.x):
/// a 4093-slot lookup table filled from per-destination permutations, indexed by a SipHash of the client
/// address (and port with <c>mh-port</c>); <c>mh-fallback</c> probes other slots when the hashed one is unusable.
/// </summary>
/// <remarks>
/// The hash is the 64-bit kernel's <c>hsiphash</c> (SipHash-1-3); a 32-bit kernel (HalfSipHash-1-3) builds
/// different tables. Slots are assigned from <see cref="RealServerState.LastWeight"/>, so quiescing a server
/// (weight 0) keeps its slots: its clients fail over or are refused, everybody else keeps their server.
/// </remarks>
internal sealed class MaglevHashingScheduler : IScheduler
{
    /// <summary>The table size: <c>primes[CONFIG_IP_VS_MH_TAB_INDEX - 8]</c> with the default index 12.</summary>
    internal const int TableSize = 4093;

    // IP_VS_MH_TAB_BITS = CONFIG_IP_VS_MH_TAB_INDEX / 2: scaled weights keep at most this many significant bits.
    private const int WeightBits = 6;

    private readonly VirtualServiceState _service;
    private RealServerState?[] _lookup = new RealServerState?[TableSize];

    public MaglevHashingScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _service = context.Service;
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
        => Volatile.Write(ref _lookup, Build(destinations));

    public RealServerState? Pick(in SchedulingRequest request)
    {
        var lookup = Volatile.Read(ref _lookup);
        var flags = _service.Config.SchedulerFlags;
        var port = (flags & SchedulerFlags.Port) != 0 ? request.ClientPort : (ushort)0;
        var ihash = IpvsHash.Maglev(request.ClientAddress, port, IpvsHash.MaglevKey1) % TableSize;
        var dest = lookup[ihash];
        if (dest is null)
        {
            return null;
        }

        if (IsUsable(dest))
        {
            return dest;
        }

        if ((flags & SchedulerFlags.Fallback) == 0)
        {
            return null;
        }

        // ip_vs_mh_get_fallback: re-hash with roffset = (k + ihash) % M added to the hashed value.
        for (var k = 0u; k < TableSize; k++)
        {
            var roffset = (k + ihash) % TableSize;
            dest = lookup[IpvsHash.Maglev(request.ClientAddress, port, IpvsHash.MaglevKey1, roffset) % TableSize];
            if (dest is null)
            {
                return null;
            }

            if (IsUsable(dest))
            {
                return dest;
            }
        }

        return null;
    }

    /// <summary>Builds the lookup table: <c>ip_vs_mh_gcd_weight</c>, <c>_shift_weight</c>, <c>_permutate</c>, <c>_populate</c>.</summary>
    internal static RealServerState?[] Build(ImmutableArray<RealServerState> destinations)
    {
        var lookup = new RealServerState?[TableSize];
        var n = destinations.Length;
        var lastWeights = new int[n];
        var gcd = 0;
        var maxWeight = 0;
        for (var i = 0; i < n; i++)
        {
            var lw = destinations[i].LastWeight;
            lastWeights[i] = lw;
            if (lw > 0)
            {
                gcd = gcd > 0 ? Gcd(lw, gcd) : lw;
            }

            maxWeight = Math.Max(maxWeight, lw);
        }

        // gcd < 1: no destinations, or none ever had a weight; the kernel resets the table to empty.
        if (gcd < 1 || n > TableSize)
        {
            return lookup;
        }

        // Scale weights down so that max(lw)/gcd keeps at most WeightBits significant bits (fls(mw) - 6).
        var rshift = Math.Max(0, (32 - BitOperations.LeadingZeroCount((uint)(maxWeight / gcd))) - WeightBits);

        var skip = new int[n];
        var next = new int[n];
        var turns = new int[n];
        for (var i = 0; i < n; i++)
        {
            var dest = destinations[i];
            next[i] = (int)(IpvsHash.Maglev(dest.Address, dest.Port, IpvsHash.MaglevKey1) % TableSize);
            skip[i] = (int)(IpvsHash.Maglev(dest.Address, dest.Port, IpvsHash.MaglevKey2) % (TableSize - 1)) + 1;

            // `(lw / gcd) >> rshift ?: (lw != 0)`: a small but non-zero weight still gets one turn.
            var t = (lastWeights[i] / gcd) >> rshift;
            turns[i] = t != 0 ? t : (lastWeights[i] != 0 ? 1 : 0);
        }

        // ip_vs_mh_populate: round robin over the list; each destination claims `turns` slots in a row, each the
        // next free position of its permutation offset, offset + skip, offset + 2·skip, … (mod M).
        var taken = new bool[TableSize];
        var filled = 0;
        while (true)
        {
            for (var i = 0; i < n; i++)
            {
                for (var t = 0; t < turns[i]; t++)
                {
                    var c = next[i];
                    while (taken[c])
                    {
                        c += skip[i];
                        if (c >= TableSize)
                        {
                            c -= TableSize;
                        }
                    }

                    next[i] = c;
                    taken[c] = true;
                    lookup[c] = destinations[i];
                    if (++filled == TableSize)
                    {
                        return lookup;
                    }
                }
            }
        }
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }

    private static bool IsUsable(RealServerState dest) => dest.IsAvailable && dest.Weight > 0 && !dest.IsOverloaded;
}
