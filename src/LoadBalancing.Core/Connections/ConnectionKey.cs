using LoadBalancing.Model;

namespace LoadBalancing.Connections;

/// <summary>
/// The lookup key of an entry: protocol + client address:port + virtual address:port (IPVS
/// <c>ip_vs_conn_param</c>). Reply lookups use the same shape with (real server, client) instead.
/// </summary>
/// <remarks>
/// A plain value type compared field by field: dictionary lookups with it allocate nothing. The hash goes
/// through <see cref="HashCode"/>, which is seeded per process, so clients cannot aim for one bucket (the
/// kernel uses a random <c>ip_vs_conn_rnd</c> for the same reason).
/// </remarks>
internal readonly struct ConnectionKey : IEquatable<ConnectionKey>
{
    /// <summary>IPVS's protocol number for firewall-mark templates: <c>IPPROTO_IP</c>.</summary>
    public const int ProtocolIp = 0;

    public ConnectionKey(int protocol, NetworkAddress clientAddress, ushort clientPort, NetworkAddress virtualAddress, ushort virtualPort)
    {
        Protocol = protocol;
        ClientAddress = clientAddress;
        ClientPort = clientPort;
        VirtualAddress = virtualAddress;
        VirtualPort = virtualPort;
    }

    /// <summary>Gets the IP protocol number (6, 17, 132, or 0 for firewall-mark templates).</summary>
    public int Protocol { get; }

    public NetworkAddress ClientAddress { get; }

    public ushort ClientPort { get; }

    public NetworkAddress VirtualAddress { get; }

    public ushort VirtualPort { get; }

    public bool Equals(ConnectionKey other)
        => Protocol == other.Protocol
            && ClientPort == other.ClientPort
            && VirtualPort == other.VirtualPort
            && ClientAddress.Equals(other.ClientAddress)
            && VirtualAddress.Equals(other.VirtualAddress);

    public override bool Equals(object? obj) => obj is ConnectionKey other && Equals(other);

    public override int GetHashCode()
        => HashCode.Combine(Protocol, ClientAddress.Value, ClientPort, VirtualAddress.Value, VirtualPort);

    public override string ToString() => $"{Protocol} {ClientAddress}:{ClientPort} -> {VirtualAddress}:{VirtualPort}";
}
