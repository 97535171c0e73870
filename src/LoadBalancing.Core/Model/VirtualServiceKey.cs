using System.Net.Sockets;

namespace LoadBalancing.Model;

/// <summary>
/// Identifies a virtual service: protocol + address + port, or a firewall mark (with an address family).
/// </summary>
public readonly record struct VirtualServiceKey
{
    private VirtualServiceKey(ServiceProtocol protocol, NetworkAddress address, ushort port, uint firewallMark)
    {
        Protocol = protocol;
        Address = address;
        Port = port;
        FirewallMark = firewallMark;
    }

    /// <summary>Gets the protocol. For firewall-mark services this is <see cref="ServiceProtocol.Tcp"/>, as in IPVS, and is ignored.</summary>
    public ServiceProtocol Protocol { get; }

    /// <summary>Gets the virtual address; the family's any-address for firewall-mark services.</summary>
    public NetworkAddress Address { get; }

    /// <summary>Gets the virtual port; 0 means "all ports" (persistent services only) and is always 0 for firewall marks.</summary>
    public ushort Port { get; }

    /// <summary>Gets the firewall mark, or 0 for an address-based service.</summary>
    public uint FirewallMark { get; }

    /// <summary>Gets a value indicating whether this is a firewall-mark service (<c>-f</c>).</summary>
    public bool IsFirewallMark => FirewallMark != 0;

    /// <summary>Gets the address family of the service.</summary>
    public AddressFamily Family => Address.Family;

    /// <summary>Creates an address-based service key.</summary>
    /// <param name="protocol">TCP, UDP or SCTP.</param>
    /// <param name="address">The virtual address.</param>
    /// <param name="port">The virtual port (0 = all ports, persistent services only).</param>
    /// <returns>The key.</returns>
    public static VirtualServiceKey ForAddress(ServiceProtocol protocol, NetworkAddress address, ushort port)
        => new(protocol, address, port, 0);

    /// <summary>Creates a firewall-mark service key.</summary>
    /// <param name="mark">The mark, 1..4294967295.</param>
    /// <param name="family">The address family of the packets the mark selects.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="mark"/> is 0.</exception>
    public static VirtualServiceKey ForFirewallMark(uint mark, AddressFamily family = AddressFamily.InterNetwork)
    {
        ArgumentOutOfRangeException.ThrowIfZero(mark);
        var any = family == AddressFamily.InterNetworkV6 ? NetworkAddress.IPv6Any : NetworkAddress.IPv4Any;
        return new(ServiceProtocol.Tcp, any, 0, mark);
    }

    /// <summary>Formats as ipvsadm does in numeric listings: <c>TCP 10.0.0.1:80</c>, <c>UDP [2001:db8::1]:53</c>, <c>FWM 7</c>.</summary>
    /// <returns>The text form.</returns>
    public override string ToString()
    {
        if (IsFirewallMark)
        {
            return IsIPv6Family ? $"FWM {FirewallMark} IPv6" : $"FWM {FirewallMark}";
        }

        var proto = Protocol switch
        {
            ServiceProtocol.Tcp => "TCP",
            ServiceProtocol.Udp => "UDP",
            _ => "SCTP",
        };
        return Address.IsIPv6 ? $"{proto} [{Address}]:{Port}" : $"{proto} {Address}:{Port}";
    }

    private bool IsIPv6Family => Address.IsIPv6;
}
