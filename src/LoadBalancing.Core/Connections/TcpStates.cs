using LoadBalancing.Model;

namespace LoadBalancing.Connections;

/// <summary>
/// IPVS's TCP state machine (net/netfilter/ipvs/ip_vs_proto_tcp.c, <c>tcp_states</c>, checked against two copies of
/// the 6.x source): one row per (direction, flag), one column per current state.
/// </summary>
/// <remarks>
/// The flag is the first of RST, SYN, FIN, ACK present (<c>tcp_state_idx</c>); a segment with none of them moves
/// the entry to CLOSE. Directions: INPUT (client → server), OUTPUT (server → client, NAT only) and INPUT-ONLY,
/// used for entries flagged NOOUTPUT (DR/TUN), where the director never sees the server's half. The
/// <c>secure_tcp</c> "DoS" table is not implemented.
/// </remarks>
internal static class TcpStates
{
    public const byte None = 0;
    public const byte Established = 1;
    public const byte SynSent = 2;
    public const byte SynRecv = 3;
    public const byte FinWait = 4;
    public const byte TimeWait = 5;
    public const byte Close = 6;
    public const byte CloseWait = 7;
    public const byte LastAck = 8;
    public const byte Listen = 9;
    public const byte SynAck = 10;
    public const int Count = 11;

    private const byte NO = None, ES = Established, SS = SynSent, SR = SynRecv, FW = FinWait, TW = TimeWait,
        CL = Close, CW = CloseWait, LA = LastAck, LI = Listen, SA = SynAck;

    /// <summary>The state names as <c>/proc/net/ip_vs_conn</c> and ipvsadm print them.</summary>
    public static string Name(int state) => state switch
    {
        None => "NONE",
        Established => "ESTABLISHED",
        SynSent => "SYN_SENT",
        SynRecv => "SYN_RECV",
        FinWait => "FIN_WAIT",
        TimeWait => "TIME_WAIT",
        Close => "CLOSE",
        CloseWait => "CLOSE_WAIT",
        LastAck => "LAST_ACK",
        Listen => "LISTEN",
        SynAck => "SYNACK",
        _ => "ERR!",
    };

    /// <summary>
    /// Whether a state counts in ActiveConn: <c>tcp_state_active_table</c>, which since Linux 4.7 ("ipvs: count
    /// pre-established TCP states as active") includes SYN_SENT, SYN_RECV and SYNACK besides ESTABLISHED.
    /// </summary>
    public static bool IsActive(int state) => state is Established or SynSent or SynRecv or SynAck;

    /// <summary>The timeout of a state (<c>tcp_timeouts</c>); only ESTABLISHED and FIN_WAIT are configurable (<c>--set</c>).</summary>
    public static long TimeoutMilliseconds(int state, TimeoutConfig timeouts) => state switch
    {
        Established => (long)timeouts.TcpEstablished.TotalMilliseconds,
        FinWait => (long)timeouts.TcpFinWait.TotalMilliseconds,
        SynSent or TimeWait or Listen or SynAck => 120_000,
        SynRecv or CloseWait => 60_000,
        Close => 10_000,
        LastAck => 30_000,
        _ => 2_000, // NONE
    };

    /// <summary>Computes the next state.</summary>
    /// <param name="direction">The direction after the NOOUTPUT substitution.</param>
    /// <param name="flags">The segment's flags.</param>
    /// <param name="state">The current state.</param>
    /// <returns>The next state.</returns>
    public static byte Next(PacketDirection direction, TcpFlags flags, int state)
    {
        int row;
        if ((flags & TcpFlags.Rst) != 0)
        {
            row = 3;
        }
        else if ((flags & TcpFlags.Syn) != 0)
        {
            row = 0;
        }
        else if ((flags & TcpFlags.Fin) != 0)
        {
            row = 1;
        }
        else if ((flags & TcpFlags.Ack) != 0)
        {
            row = 2;
        }
        else
        {
            // set_tcp_state starts from new_state = IP_VS_TCP_S_CLOSE and keeps it when no flag matches.
            return Close;
        }

        return Table[((((int)direction * 4) + row) * Count) + state];
    }

    // tcp_states[]: INPUT, OUTPUT, INPUT-ONLY; rows syn, fin, ack, rst; columns NO ES SS SR FW TW CL CW LA LI SA.
    private static ReadOnlySpan<byte> Table =>
    [
        // INPUT
        SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR, // syn
        CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW, // fin
        ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES, // ack
        CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR, // rst

        // OUTPUT
        SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR, // syn
        TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW, // fin
        ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES, // ack
        CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL, // rst

        // INPUT-ONLY
        SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR, // syn
        CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW, // fin
        ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES, // ack
        CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL, // rst
    ];
}
