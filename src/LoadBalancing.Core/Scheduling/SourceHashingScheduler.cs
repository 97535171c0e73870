using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Source hashing, as <c>net/netfilter/ipvs/ip_vs_sh.c</c>: a 256-bucket table in which each destination, in list
/// order, takes <c>weight</c> consecutive buckets (at least one), indexed by a hash of the client address and,
/// with <c>sh-port</c>, the client port. With <c>sh-fallback</c> an unusable bucket is skipped by probing.
/// </summary>
/// <remarks>
/// Key = <c>(offset + hash_32(port + ntohl(fold(saddr)), 8)) &amp; 255</c> as in Linux 6.x (6.16+ and 7.0-era trees);
/// older kernels (4.x) used <c>(offset + (port + ntohl(fold(saddr))) * 2654435761) &amp; 255</c>. Flags are read at
/// pick time because an edit of the service may change them without a table rebuild.
/// </remarks>
internal sealed class SourceHashingScheduler : IScheduler
{
    private const int TableBits = 8; // CONFIG_IP_VS_SH_TAB_BITS
    private const int TableSize = 1 << TableBits;
    private const int TableMask = TableSize - 1;

    private readonly VirtualServiceState _service;
    private RealServerState?[] _buckets = new RealServerState?[TableSize];

    public SourceHashingScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _service = context.Service;
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
    {
        // ip_vs_sh_reassign: stay on a destination until it has `weight` buckets (weight <= 0 still gets one,
        // because ++count >= weight holds at once), then move on, wrapping to the head of the list.
        var buckets = new RealServerState?[TableSize];
        if (destinations.Length > 0)
        {
            var index = 0;
            var count = 0;
            for (var i = 0; i < TableSize; i++)
            {
                var dest = destinations[index];
                buckets[i] = dest;
                if (++count >= dest.Weight)
                {
                    index = (index + 1) % destinations.Length;
                    count = 0;
                }
            }
        }

        Volatile.Write(ref _buckets, buckets);
    }

    public RealServerState? Pick(in SchedulingRequest request)
    {
        var buckets = Volatile.Read(ref _buckets);
        var flags = _service.Config.SchedulerFlags;
        var port = (flags & SchedulerFlags.Port) != 0 ? request.ClientPort : (ushort)0;
        var ihash = Key(request.ClientAddress, port, 0);
        var dest = buckets[ihash];
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

        // ip_vs_sh_get_fallback: roffset = (k + ihash) % 256 and the probed bucket is (roffset + hash) & 255,
        // i.e. 2·ihash + k: every bucket once. An empty bucket (no destinations at all) ends the search.
        for (var k = 0u; k < TableSize; k++)
        {
            var roffset = (k + (uint)ihash) % TableSize;
            dest = buckets[Key(request.ClientAddress, port, roffset)];
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

    /// <summary><c>ip_vs_sh_hashkey</c>.</summary>
    internal static int Key(NetworkAddress client, ushort port, uint offset)
        => (int)((offset + IpvsHash.Hash32(unchecked(port + client.Fold()), TableBits)) & TableMask);

    // ip_vs_sh's is_unavailable (weight <= 0 or OVERLOAD) plus the AVAILABLE flag: a removed server may still
    // sit in a table we have not swapped yet.
    private static bool IsUsable(RealServerState dest) => dest.IsAvailable && dest.Weight > 0 && !dest.IsOverloaded;
}
