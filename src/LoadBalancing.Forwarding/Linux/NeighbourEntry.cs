using LoadBalancing.Forwarding.DirectRouting;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Linux;

/// <summary>One entry of the kernel's neighbour table as read by an <c>RTM_GETNEIGH</c> dump.</summary>
internal readonly record struct NeighbourEntry(int InterfaceIndex, NetworkAddress Address, MacAddress? Mac, NeighbourState State);
