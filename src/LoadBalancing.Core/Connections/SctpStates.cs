namespace LoadBalancing.Connections;

/// <summary>
/// IPVS's SCTP state machine as rewritten for Linux 3.12 ("ipvs: fix SCTP state machine", the "modern table" of
/// net/netfilter/ipvs/ip_vs_proto_sctp.c, <c>sctp_states</c>; checked against two copies). Indexed by
/// direction, event and current state.
/// </summary>
internal static class SctpStates
{
    public const byte None = 0;
    public const byte Init1 = 1;
    public const byte Init = 2;
    public const byte CookieSent = 3;
    public const byte CookieReplied = 4;
    public const byte CookieWait = 5;
    public const byte Cookie = 6;
    public const byte CookieEchoed = 7;
    public const byte Established = 8;
    public const byte ShutdownSent = 9;
    public const byte ShutdownReceived = 10;
    public const byte ShutdownAckSent = 11;
    public const byte Rejected = 12;
    public const byte Closed = 13;
    public const int Count = 14;

    private const int EventCount = 10;

    private const byte NO = None, I1 = Init1, IN = Init, CS = CookieSent, CR = CookieReplied, CW = CookieWait,
        CO = Cookie, CE = CookieEchoed, ES = Established, SS = ShutdownSent, SR = ShutdownReceived,
        SA = ShutdownAckSent, RJ = Rejected, CL = Closed;

    public static string Name(int state) => state switch
    {
        None => "NONE",
        Init1 => "INIT1",
        Init => "INIT",
        CookieSent => "C-SENT",
        CookieReplied => "C-REPLIED",
        CookieWait => "C-WAIT",
        Cookie => "COOKIE",
        CookieEchoed => "C-ECHOED",
        Established => "ESTABLISHED",
        ShutdownSent => "S-SENT",
        ShutdownReceived => "S-RECEIVED",
        ShutdownAckSent => "S-ACK-SENT",
        Rejected => "REJECTED",
        Closed => "CLOSED",
        _ => "ERR!",
    };

    /// <summary>Only ESTABLISHED counts in ActiveConn (<c>set_sctp_state</c>).</summary>
    public static bool IsActive(int state) => state == Established;

    /// <summary>
    /// <c>sctp_timeouts</c>: NONE 2 s, INIT1 and REJECTED 4 s, ESTABLISHED 900 s, everything else
    /// <c>IP_VS_SCTP_MAX_RTO</c> = 61 s. Not changed by <c>ipvsadm --set</c>.
    /// </summary>
    public static long TimeoutMilliseconds(int state) => state switch
    {
        None => 2_000,
        Init1 or Rejected => 4_000,
        Established => 900_000,
        _ => 61_000,
    };

    public static byte Next(PacketDirection direction, SctpChunkType chunk, int state)
        => Table[((((int)direction * EventCount) + Event(chunk)) * Count) + state];

    /// <summary><c>sctp_events</c>: chunk type → event; unknown chunk types count as DATA.</summary>
    private static int Event(SctpChunkType chunk) => chunk switch
    {
        SctpChunkType.Init => 1,
        SctpChunkType.InitAck => 2,
        SctpChunkType.CookieEcho => 3,
        SctpChunkType.CookieAck => 4,
        SctpChunkType.Shutdown => 5,
        SctpChunkType.ShutdownAck => 6,
        SctpChunkType.ShutdownComplete => 7,
        SctpChunkType.Error => 8,
        SctpChunkType.Abort => 9,
        _ => 0,
    };

    // Rows: data, init, init_ack, cookie_echo, cookie_ack, shutdown, shutdown_ack, shutdown_complete, error, abort.
    // Columns: NO I1 IN CS CR CW CO CE ES SS SR SA RJ CL.
    private static ReadOnlySpan<byte> Table =>
    [
        // INPUT
        ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL,
        I1, IN, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, IN, IN,
        CW, CW, CW, CS, CR, CO, CO, CE, ES, SS, SR, SA, RJ, CL,
        CR, IN, IN, CR, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL,
        ES, I1, IN, CS, CR, CW, CO, ES, ES, SS, SR, SA, RJ, CL,
        SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL,
        CL, IN, IN, CS, CR, CW, CO, CE, ES, CL, SR, CL, RJ, CL,
        CL, CL, CL, CS, CR, CW, CO, CE, ES, SS, SR, CL, RJ, CL,
        CL, I1, IN, CS, CR, CW, CO, CL, ES, SS, SR, SA, RJ, CL,
        CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL,

        // OUTPUT
        ES, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL,
        CW, CW, CW, CW, CW, CW, CW, CW, ES, CW, CW, CW, CW, CW,
        CS, CS, CS, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL,
        CE, CE, CE, CE, CE, CE, CE, CE, ES, SS, SR, SA, RJ, CL,
        ES, ES, ES, ES, ES, ES, ES, ES, ES, SS, SR, SA, RJ, CL,
        SS, SS, SS, SS, SS, SS, SS, SS, SS, SS, SR, SA, RJ, CL,
        SA, SA, SA, SA, SA, CW, CO, CE, ES, SA, SA, SA, RJ, CL,
        CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL,
        CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, SR, SA, RJ, CL,
        CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL, CL,

        // INPUT-ONLY
        ES, I1, IN, CS, CR, ES, CO, CE, ES, SS, SR, SA, RJ, CL,
        I1, IN, IN, IN, IN, IN, CO, CE, ES, SS, SR, SA, IN, IN,
        CE, CE, CE, CE, CE, CE, CO, CE, ES, SS, SR, SA, RJ, CL,
        ES, ES, ES, ES, ES, ES, CO, CE, ES, SS, SR, SA, RJ, CL,
        ES, I1, IN, ES, ES, CW, ES, ES, ES, SS, SR, SA, RJ, CL,
        SR, I1, IN, CS, CR, CW, CO, CE, SR, SS, SR, SA, RJ, CL,
        CL, IN, IN, CS, CR, CW, CO, CE, CL, CL, SR, CL, RJ, CL,
        CL, CL, CL, CL, CL, CW, CO, CE, ES, SS, CL, CL, RJ, CL,
        CL, I1, IN, CS, CR, CW, CO, CE, ES, SS, SR, SA, RJ, CL,
        CL, CL, CL, CL, CL, RJ, CL, CL, CL, CL, CL, CL, CL, CL,
    ];
}
