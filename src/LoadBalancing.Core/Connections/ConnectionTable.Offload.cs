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
    public bool AddOffloadedTraffic(Connection connection, long packets, long bytes)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfNegative(packets);
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        lock (connection.SyncRoot)
        {
            if (connection.IsDead)
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

                connection.RestartTimer(NowMilliseconds(), _wheel);
            }

            return true;
        }
    }
}
