using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Scheduling;

/// <summary>
/// Destination hashing, as <c>net/netfilter/ipvs/ip_vs_dh.c</c>: a 256-bucket table filled round robin over the
/// destination list (weights ignored), indexed by a hash of the packet's destination address.
/// </summary>
/// <remarks>
/// Bucket = <c>hash_32(ntohl(fold(daddr)), 8)</c> as in Linux 6.x (checked in 6.16+ and 7.0-era trees); kernels up to
/// 4.x open-coded <c>(ntohl(fold(daddr)) * 2654435761) &amp; 255</c>, which takes the low bits and maps differently.
/// No fallback: an unusable bucket means no destination.
/// </remarks>
internal sealed class DestinationHashingScheduler : IScheduler
{
    private const int TableBits = 8; // CONFIG_IP_VS_DH_TAB_BITS
    private const int TableSize = 1 << TableBits;

    private RealServerState?[] _buckets = new RealServerState?[TableSize];

    public DestinationHashingScheduler(SchedulerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
    }

    public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations)
    {
        // ip_vs_dh_reassign: bucket i gets list[i mod n]; an empty list leaves every bucket empty.
        var buckets = new RealServerState?[TableSize];
        if (destinations.Length > 0)
        {
            for (var i = 0; i < TableSize; i++)
            {
                buckets[i] = destinations[i % destinations.Length];
            }
        }

        Volatile.Write(ref _buckets, buckets);
    }

    public RealServerState? Pick(in SchedulingRequest request)
    {
        var dest = Volatile.Read(ref _buckets)[Bucket(request.DestinationAddress)];
        return dest is null || !dest.IsAvailable || dest.Weight <= 0 || dest.IsOverloaded ? null : dest;
    }

    internal static int Bucket(NetworkAddress destination) => (int)IpvsHash.Hash32(destination.Fold(), TableBits);
}
