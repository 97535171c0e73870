using LoadBalancing.Model;

namespace LoadBalancing.Connections;

/// <content>Traffic a forwarder's kernel fast path (XDP) carried for an entry without the table seeing the packets.</content>
public sealed partial class ConnectionTable
{
    /// <summary>
    /// Counts packets a kernel fast path forwarded for <paramref name="connection"/> since the last call, as
    /// <see cref="ProcessInbound"/> would have (<c>ip_vs_in_stats</c>, only while the server is in its service),
    /// and restarts the entry's timer when there were any, so an entry whose packets all bypass the table does not
    /// expire while it is in use. The protocol state does not change: a fast path carries only packets that leave it
    /// unchanged (TCP segments without SYN, FIN or RST in ESTABLISHED; UDP datagrams).
    /// </summary>
    /// <param name="connection">The entry.</param>
    /// <param name="packets">The packets forwarded.</param>
    /// <param name="bytes">Their IP bytes.</param>
    /// <returns><see langword="false"/> when the entry has expired meanwhile (nothing is counted).</returns>
    public bool AddOffloadedTraffic(Connection connection, long packets, long bytes) => AddOffloadedTraffic(connection, packets, bytes, TcpFlags.None);

    /// <summary>
    /// Counts packets a kernel fast path forwarded for <paramref name="connection"/> since the last call, as
    /// <see cref="AddOffloadedTraffic(Connection, long, long)"/>, and applies to a TCP entry the INPUT-ONLY state
    /// transitions of the kinds of segments among them: <see cref="TcpFlags.Ack"/> for segments without SYN, FIN or
    /// RST, <see cref="TcpFlags.Fin"/> for FINs, <see cref="TcpFlags.Rst"/> for RSTs, in that order (a connection's
    /// own order). So a fast path that carries a connection from its first SYN's entry onwards (SYN_RECV) moves it
    /// to ESTABLISHED, FIN_WAIT or CLOSE as the kernel's table would, only later: at the call, not at the packet.
    /// The handshake observer is told, as for a packet.
    /// </summary>
    /// <param name="connection">The entry.</param>
    /// <param name="packets">The packets forwarded.</param>
    /// <param name="bytes">Their IP bytes.</param>
    /// <param name="segments">The kinds of TCP segments among them (ignored for other protocols).</param>
    /// <returns><see langword="false"/> when the entry has expired meanwhile (nothing is counted or changed).</returns>
    public bool AddOffloadedTraffic(Connection connection, long packets, long bytes, TcpFlags segments)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfNegative(packets);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        var signal = HandshakeSignal.None;
        lock (connection.SyncRoot)
        {
            if (connection.IsRemoved)
            {
                return false;
            }

            if (packets > 0)
            {
                var destination = connection.Destination;
                if (destination.IsAvailable)
                {
                    destination.Statistics.AddInbound(packets, bytes);
                    destination.Service.Statistics.AddInbound(packets, bytes);
                }

                if (connection.Key.Protocol == (int)ServiceProtocol.Tcp)
                {
                    signal = ApplyOffloadedSegments(connection, segments & (TcpFlags.Ack | TcpFlags.Fin | TcpFlags.Rst));
                }

                connection.RestartTimer(NowMilliseconds(), _wheel);
            }
        }

        if (signal != HandshakeSignal.None)
        {
            Signal(signal, connection.Destination);
        }

        return true;
    }

    private HandshakeSignal ApplyOffloadedSegments(Connection connection, TcpFlags segments)
    {
        var signal = HandshakeSignal.None;
        var options = Options;
        var key = connection.Key;
        foreach (var kind in (ReadOnlySpan<TcpFlags>)[TcpFlags.Ack, TcpFlags.Fin, TcpFlags.Rst])
        {
            if ((segments & kind) != 0)
            {
                // A FIN segment carries ACK too; the state machine looks at RST, SYN, FIN, ACK in that order.
                var flags = kind == TcpFlags.Fin ? TcpFlags.Fin | TcpFlags.Ack : kind;
                var segment = new PacketInfo
                {
                    Protocol = ServiceProtocol.Tcp,
                    SourceAddress = key.ClientAddress,
                    SourcePort = key.ClientPort,
                    DestinationAddress = key.VirtualAddress,
                    DestinationPort = key.VirtualPort,
                    TcpFlags = flags,
                };
                var next = connection.Transition(PacketDirection.Input, in segment, options);
                signal = next != HandshakeSignal.None ? next : signal;
            }
        }

        return signal;
    }
}
