using LoadBalancing.Connections;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>The header fields of one received frame that the engine needs, read in place by <see cref="FrameParser"/>.</summary>
internal struct ParsedFrame
{
    public MacAddress Destination;
    public ushort EtherType;
    public PacketInfo Packet;
}
