using LoadBalancing.Model;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Client;

/// <summary>How a client-side balancer asks the IPVS schedulers for a real server.</summary>
/// <remarks>
/// A client has no packet to show the scheduler: the virtual service's own address and port stand for the
/// destination, and for the hashing schedulers (sh, mh, dh) a caller-chosen key stands for the client address, so
/// requests with the same key go to the same real server while the set of servers is unchanged.
/// </remarks>
public static class ClientScheduling
{
    // FNV-1a 32-bit: stable across processes (string.GetHashCode is randomized), no allocation.
    private const uint FnvOffset = 2166136261;
    private const uint FnvPrime = 16777619;

    /// <summary>Builds the scheduling request of one client-side pick.</summary>
    /// <param name="service">The virtual service picked from.</param>
    /// <param name="hashKey">The key the hashing schedulers hash (a header value, a user id); empty for none.</param>
    /// <returns>The request: TCP, the key folded into an IPv4 client address, the service as the destination.</returns>
    public static SchedulingRequest CreateRequest(in VirtualServiceKey service, ReadOnlySpan<char> hashKey)
    {
        var client = hashKey.IsEmpty ? NetworkAddress.IPv4Any : NetworkAddress.FromIPv4(Hash(hashKey));
        var protocol = service.IsFirewallMark ? ServiceProtocol.Tcp : service.Protocol;
        return new SchedulingRequest(protocol, client, 0, service.Address, service.Port);
    }

    /// <summary>Hashes a key as <see cref="CreateRequest"/> does (FNV-1a over the UTF-16 code units).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The 32-bit hash.</returns>
    public static uint Hash(ReadOnlySpan<char> key)
    {
        var hash = FnvOffset;
        foreach (var c in key)
        {
            hash = (hash ^ (byte)c) * FnvPrime;
            hash = (hash ^ (byte)(c >> 8)) * FnvPrime;
        }

        return hash;
    }
}
