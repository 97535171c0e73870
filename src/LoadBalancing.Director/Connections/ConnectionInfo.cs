using LoadBalancing.Model;

namespace LoadBalancing.Director.Connections;

/// <summary>One row of <c>lbadm -L -c</c>.</summary>
public sealed record ConnectionInfo
{
    /// <summary>Gets the protocol.</summary>
    public required ServiceProtocol Protocol { get; init; }

    /// <summary>Gets the time until the entry expires.</summary>
    public TimeSpan Expires { get; init; }

    /// <summary>Gets the state as ipvsadm prints it (<c>ESTABLISHED</c>, <c>FIN_WAIT</c>, <c>UDP</c>, <c>NONE</c>…).</summary>
    public required string State { get; init; }

    /// <summary>Gets the client's address.</summary>
    public required NetworkAddress ClientAddress { get; init; }

    /// <summary>Gets the client's port.</summary>
    public ushort ClientPort { get; init; }

    /// <summary>Gets the virtual address.</summary>
    public required NetworkAddress VirtualAddress { get; init; }

    /// <summary>Gets the virtual port.</summary>
    public ushort VirtualPort { get; init; }

    /// <summary>Gets the real server's address.</summary>
    public required NetworkAddress DestinationAddress { get; init; }

    /// <summary>Gets the real server's port.</summary>
    public ushort DestinationPort { get; init; }
}
