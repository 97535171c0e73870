using LoadBalancing.Model;

namespace LoadBalancing.Listing;

/// <summary>One connection (or persistence template) as <c>ipvsadm -L -c</c> lists it.</summary>
public sealed record ListedConnection
{
    /// <summary>Gets the protocol; <see langword="null"/> for <c>IP</c> (firewall-mark templates), whose ports print as numbers.</summary>
    public ServiceProtocol? Protocol { get; init; }

    /// <summary>Gets the time left before the entry expires, in whole seconds.</summary>
    public uint ExpiresSeconds { get; init; }

    /// <summary>Gets the state word (<c>ESTABLISHED</c>, <c>NONE</c>, <c>UDP</c>...).</summary>
    public required string State { get; init; }

    /// <summary>Gets the client address.</summary>
    public required NetworkAddress ClientAddress { get; init; }

    /// <summary>Gets the client port (0 for templates).</summary>
    public ushort ClientPort { get; init; }

    /// <summary>Gets the virtual address (the mark as an IPv4 address for firewall-mark templates).</summary>
    public required NetworkAddress VirtualAddress { get; init; }

    /// <summary>Gets the virtual port.</summary>
    public ushort VirtualPort { get; init; }

    /// <summary>Gets the real server's address.</summary>
    public required NetworkAddress DestinationAddress { get; init; }

    /// <summary>Gets the real server's port.</summary>
    public ushort DestinationPort { get; init; }

    /// <summary>Gets the persistence engine name (<c>sip</c>), if the entry carries engine data.</summary>
    public string? PersistenceEngine { get; init; }

    /// <summary>Gets the persistence engine data (hex), if any.</summary>
    public string? PersistenceData { get; init; }
}
