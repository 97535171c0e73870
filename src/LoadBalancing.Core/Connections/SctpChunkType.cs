namespace LoadBalancing.Connections;

/// <summary>SCTP chunk types (RFC 9260 §3.2) that drive the IPVS SCTP state machine.</summary>
public enum SctpChunkType
{
    /// <summary>DATA.</summary>
    Data = 0,

    /// <summary>INIT: the only chunk that creates an entry (unless <c>sloppy_sctp</c>).</summary>
    Init = 1,

    /// <summary>INIT ACK.</summary>
    InitAck = 2,

    /// <summary>SACK (treated as DATA).</summary>
    Sack = 3,

    /// <summary>HEARTBEAT (treated as DATA).</summary>
    Heartbeat = 4,

    /// <summary>HEARTBEAT ACK (treated as DATA).</summary>
    HeartbeatAck = 5,

    /// <summary>ABORT.</summary>
    Abort = 6,

    /// <summary>SHUTDOWN.</summary>
    Shutdown = 7,

    /// <summary>SHUTDOWN ACK.</summary>
    ShutdownAck = 8,

    /// <summary>ERROR.</summary>
    Error = 9,

    /// <summary>COOKIE ECHO.</summary>
    CookieEcho = 10,

    /// <summary>COOKIE ACK.</summary>
    CookieAck = 11,

    /// <summary>ECNE (treated as DATA).</summary>
    Ecne = 12,

    /// <summary>CWR (treated as DATA).</summary>
    Cwr = 13,

    /// <summary>SHUTDOWN COMPLETE.</summary>
    ShutdownComplete = 14,
}
