namespace LoadBalancing.Connections;

/// <summary>The TCP header flags the IPVS state machine looks at. Values are the wire bits.</summary>
[Flags]
#pragma warning disable CA1711 // "TCP flags" is the protocol's own name for these bits.
public enum TcpFlags
#pragma warning restore CA1711
{
    /// <summary>No flag.</summary>
    None = 0,

    /// <summary>FIN.</summary>
    Fin = 0x01,

    /// <summary>SYN.</summary>
    Syn = 0x02,

    /// <summary>RST.</summary>
    Rst = 0x04,

    /// <summary>PSH (ignored by IPVS).</summary>
    Psh = 0x08,

    /// <summary>ACK.</summary>
    Ack = 0x10,
}
