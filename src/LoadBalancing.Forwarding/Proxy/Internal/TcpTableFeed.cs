using LoadBalancing.Connections;
using LoadBalancing.Model;

namespace LoadBalancing.Forwarding.Proxy.Internal;

/// <summary>
/// The segments a proxied TCP connection feeds the IPVS connection table, shared by both engines so that
/// scheduling, states, ActiveConn/InActConn and byte counters are the same whichever relays the bytes.
/// </summary>
internal static class TcpTableFeed
{
    /// <summary>The client's SYN: schedules (or finds the persistent server) and creates the entry.</summary>
    public static PacketDecision Syn(ConnectionTable table, in ProxyFlowKey key, Runtime.VirtualServiceState service)
    {
        var syn = key.Inbound(TcpFlags.Syn, 0);
        return table.ProcessInbound(in syn, service);
    }

    /// <summary>The backend answered: NAT entries see the server's SYN+ACK, every entry the client's ACK (SYN_RECV → ESTABLISHED).</summary>
    public static void Established(ConnectionTable table, in ProxyFlowKey key, Connection entry)
    {
        if (entry.Method == ForwardingMethod.Masquerade)
        {
            var synAck = key.Outbound(entry, TcpFlags.Syn | TcpFlags.Ack, 0);
            table.ProcessOutbound(in synAck);
        }

        var ack = key.Inbound(TcpFlags.Ack, 0);
        table.ProcessInbound(in ack, null);
    }

    /// <summary>
    /// Tells the table the connection is over, so the entry lands in CLOSE (10 s, InActConn). Once established,
    /// that is the client's RST. During the handshake an RST alone would not do: both the INPUT and the INPUT-ONLY
    /// table keep SYN_RECV on RST (so a stray RST cannot kill a handshake), and the entry would stay active for
    /// 60 s. So a failed or abandoned connect is fed as FIN (SYN_RECV → TIME_WAIT) then RST (→ CLOSE); CLOSE also
    /// lets the retry's SYN reschedule the client (<c>conn_reuse_mode</c>).
    /// </summary>
    public static void Reset(ConnectionTable table, in ProxyFlowKey key, bool connecting)
    {
        if (connecting)
        {
            var fin = key.Inbound(TcpFlags.Fin | TcpFlags.Ack, 0);
            table.ProcessInbound(in fin, null);
        }

        var rst = key.Inbound(TcpFlags.Rst, 0);
        table.ProcessInbound(in rst, null);
    }

    /// <summary>
    /// One chunk is one segment for the table: client chunks go through <see cref="ConnectionTable.ProcessInbound"/>
    /// (counting the bytes and refreshing the entry's timer), server chunks through
    /// <see cref="ConnectionTable.ProcessOutbound"/> for NAT entries; other entries have no reply path in IPVS, so
    /// their reply bytes are added to the statistics directly and the client's acknowledgement is fed instead.
    /// </summary>
    public static void Data(ConnectionTable table, in ProxyFlowKey key, Connection entry, bool inbound, int length)
    {
        if (inbound)
        {
            var segment = key.Inbound(TcpFlags.Ack, length);
            table.ProcessInbound(in segment, null);
            return;
        }

        if (entry.Method == ForwardingMethod.Masquerade)
        {
            var segment = key.Outbound(entry, TcpFlags.Ack, length);
            table.ProcessOutbound(in segment);
            return;
        }

        // Without a reply path the DR director still sees the client acknowledge the reply data, and those ACKs
        // keep the entry's timer running during a long download; feed one per chunk.
        var ack = key.Inbound(TcpFlags.Ack, 0);
        table.ProcessInbound(in ack, null);
        var destination = entry.Destination;
        if (destination.IsAvailable)
        {
            destination.Statistics.AddOutbound(length);
            destination.Service.Statistics.AddOutbound(length);
        }
    }

    /// <summary>A side ended its stream: the client's FIN is fed as INPUT; the server's only for NAT entries (OUTPUT).</summary>
    public static void Fin(ConnectionTable table, in ProxyFlowKey key, Connection entry, bool inbound)
    {
        if (inbound)
        {
            var fin = key.Inbound(TcpFlags.Fin | TcpFlags.Ack, 0);
            table.ProcessInbound(in fin, null);
        }
        else if (entry.Method == ForwardingMethod.Masquerade)
        {
            var fin = key.Outbound(entry, TcpFlags.Fin | TcpFlags.Ack, 0);
            table.ProcessOutbound(in fin);
        }
    }
}
