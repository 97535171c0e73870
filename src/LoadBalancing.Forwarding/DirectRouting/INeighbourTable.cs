using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>The real servers' link-layer addresses, as the data path sees them.</summary>
internal interface INeighbourTable
{
    /// <summary>Finds the MAC address of <paramref name="address"/>. Lock-free and allocation-free.</summary>
    bool TryGetMac(NetworkAddress address, out MacAddress mac);

    /// <summary>Asks for <paramref name="address"/> to be resolved soon. Must not block.</summary>
    void RequestResolution(NetworkAddress address);
}
