using System.Runtime.InteropServices;

namespace LoadBalancing.Forwarding.Linux;

/// <summary><c>struct sockaddr_ll</c> (linux/if_packet.h), 20 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct SockAddrLinkLayer
{
    public ushort Family;

    /// <summary>EtherType in network byte order.</summary>
    public ushort Protocol;
    public int InterfaceIndex;
    public ushort HardwareType;
    public byte PacketType;
    public byte AddressLength;
    public ulong Address;
}
