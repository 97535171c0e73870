using System.Collections.Concurrent;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Connections;

/// <summary>
/// The IPVS connection table: finds the entry of each packet, creates entries for new connections through the
/// service's scheduler (with persistence templates for <c>-p</c> services), runs the TCP/UDP/SCTP state
/// machines, keeps ActiveConn/InActConn/PersistConn and the traffic counters of every real server, and expires
/// idle entries.
/// </summary>
/// <remarks>
/// <para>
/// Thread safety: <see cref="ProcessInbound"/> and <see cref="ProcessOutbound"/> may run concurrently on any
/// number of packet workers. Entries live in <see cref="ConcurrentDictionary{TKey, TValue}"/>s, whose reads are
/// lock-free and, with the value-type key, allocation-free; writes lock one of a set of stripes, so only new
/// and expiring connections contend (the kernel's RCU lookups plus striped bucket locks). Each entry's state is
/// changed under the entry's own lock, like the kernel's <c>cp->lock</c>.
/// </para>
/// <para>
/// Expiry: nothing is scanned per packet. A packet only stores the entry's new expiry time; the owner calls
/// <see cref="Expire"/> about once a second (see <see cref="StartExpiryTimer"/>), which advances a hashed timer
/// wheel and looks only at the entries due.
/// </para>
/// </remarks>
public sealed partial class ConnectionTable
{
    private const ushort FtpPort = 21;
    private const ushort FtpDataPort = 20;

    private readonly TimeProvider _timeProvider;
    private readonly long _startTimestamp;
    private readonly TimerWheel _wheel;
    private readonly ConcurrentDictionary<ConnectionKey, Connection> _connections = new();
    private readonly ConcurrentDictionary<ConnectionKey, Connection> _replies = new();
    private readonly ConcurrentDictionary<ConnectionKey, Connection> _templates = new();
    private readonly ConcurrentDictionary<Connection, byte> _invalidatedTemplates = new();
    private ConnectionTableOptions _options;
    private IHandshakeObserver? _handshakeObserver;

    /// <summary>Initializes a new, empty table.</summary>
    /// <param name="timeProvider">The clock for timeouts; <see cref="TimeProvider.System"/> when <see langword="null"/>.</param>
    /// <param name="options">The sysctl-like switches; the kernel defaults when <see langword="null"/>.</param>
    public ConnectionTable(TimeProvider? timeProvider = null, ConnectionTableOptions? options = null)
    {
        _timeProvider = timeProvider ?? TimeProvider.System;
        _options = options ?? ConnectionTableOptions.Default;
        _startTimestamp = _timeProvider.GetTimestamp();
        _wheel = new TimerWheel(0);
    }

    /// <summary>Gets or sets the switches; a change applies to the next packet (timeouts: at each entry's next state change).</summary>
    public ConnectionTableOptions Options
    {
        get => Volatile.Read(ref _options);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            Volatile.Write(ref _options, value);
        }
    }

    /// <summary>
    /// Gets or sets who is told how one-way TCP handshakes (Direct Routing, tunnelling) end: the passive health
    /// signal of a forwarder that sees only client → server packets. <see langword="null"/> (the default) tells nobody.
    /// </summary>
    public IHandshakeObserver? HandshakeObserver
    {
        get => Volatile.Read(ref _handshakeObserver);
        set => Volatile.Write(ref _handshakeObserver, value);
    }

    /// <summary>Gets the number of client entries (templates not included).</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Gets the number of persistence templates, invalidated ones included.</summary>
    public int TemplateCount => _templates.Count + _invalidatedTemplates.Count;

    /// <summary>
    /// Handles a packet from a client (<c>ip_vs_in</c>): finds its entry or schedules a new connection on
    /// <paramref name="service"/>, applies the INPUT state transition and counts the packet.
    /// </summary>
    /// <param name="packet">The packet's header fields, client → virtual address.</param>
    /// <param name="service">
    /// The virtual service the packet's destination (or firewall mark) matches, or <see langword="null"/> when
    /// none does: then only existing entries are found.
    /// </param>
    /// <returns>The verdict, with the entry and real server when forwarding. Never throws for packet content.</returns>
    public PacketDecision ProcessInbound(in PacketInfo packet, VirtualServiceState? service)
    {
        var options = Options;
        var now = NowMilliseconds();
        var key = new ConnectionKey((int)packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort);

        // A few rounds cover the races: an entry expiring under us, or another worker creating the same entry.
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (_connections.TryGetValue(key, out var existing))
            {
                var decision = HandleExisting(existing, in packet, options, now);
                if (decision is { } found)
                {
                    return found;
                }
            }

            if (service is null || !MayCreate(in packet, options))
            {
                return PacketDecision.NotScheduled;
            }

            var scheduled = Schedule(in key, in packet, service, options, now, chosen: null, out var retry);
            if (!retry)
            {
                return scheduled;
            }
        }

        return PacketDecision.Drop;
    }

    /// <summary>
    /// Handles a reply from a real server (<c>ip_vs_out</c>): finds the NAT entry by (server, client), applies the
    /// OUTPUT state transition and counts the packet. Replies of DR/TUN/local entries are not handled
    /// (<see cref="ConnectionVerdict.NotScheduled"/>), as in the kernel.
    /// </summary>
    /// <param name="packet">The packet's header fields, real server → client.</param>
    /// <returns>The verdict, with the entry to rewrite the source from when forwarding.</returns>
    public PacketDecision ProcessOutbound(in PacketInfo packet)
    {
        var key = new ConnectionKey((int)packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort);
        if (!_replies.TryGetValue(key, out var connection))
        {
            return PacketDecision.NotScheduled;
        }

        var options = Options;
        var now = NowMilliseconds();
        lock (connection.SyncRoot)
        {
            if (connection.IsRemoved)
            {
                return PacketDecision.NotScheduled;
            }

            var destination = connection.Destination;
            if (destination.IsAvailable)
            {
                destination.Statistics.AddOutbound(packet.Length);
                destination.Service.Statistics.AddOutbound(packet.Length);
            }

            connection.Transition(PacketDirection.Output, in packet, options);
            connection.RestartTimer(now, _wheel);
        }

        return PacketDecision.ForConnection(connection);
    }

    /// <summary>Finds the entry of a client connection, without changing anything.</summary>
    /// <param name="protocol">The protocol.</param>
    /// <param name="clientAddress">The client address.</param>
    /// <param name="clientPort">The client port.</param>
    /// <param name="virtualAddress">The virtual address.</param>
    /// <param name="virtualPort">The virtual port.</param>
    /// <returns>The entry, or <see langword="null"/>.</returns>
    public Connection? Find(ServiceProtocol protocol, NetworkAddress clientAddress, ushort clientPort, NetworkAddress virtualAddress, ushort virtualPort)
        => _connections.TryGetValue(new ConnectionKey((int)protocol, clientAddress, clientPort, virtualAddress, virtualPort), out var connection)
            && !connection.IsRemoved ? connection : null;

    /// <summary>The kernel's <c>*_conn_schedule</c> gate: which packets may create an entry.</summary>
    private static bool MayCreate(in PacketInfo packet, ConnectionTableOptions options) => packet.Protocol switch
    {
        // tcp_conn_schedule: never on RST; otherwise only on SYN unless sloppy_tcp. SYN+ACK passes, as in the kernel.
        ServiceProtocol.Tcp => (packet.TcpFlags & TcpFlags.Rst) == 0
            && (options.SloppyTcp || (packet.TcpFlags & TcpFlags.Syn) != 0),
        ServiceProtocol.Sctp => options.SloppySctp || packet.SctpChunk == SctpChunkType.Init,
        _ => true,
    };

    /// <summary>The kernel's <c>is_new_conn</c>: a packet that opens a connection.</summary>
    private static bool IsNewConnection(in PacketInfo packet) => packet.Protocol switch
    {
        ServiceProtocol.Tcp => (packet.TcpFlags & TcpFlags.Syn) != 0,
        ServiceProtocol.Sctp => packet.SctpChunk == SctpChunkType.Init,
        _ => false,
    };

    /// <summary>The kernel's <c>is_new_conn_expected</c>: may a new connection take over this entry's tuple?</summary>
    private static bool IsNewConnectionExpected(Connection connection, int reuseMode)
    {
        if (connection.Template is not null)
        {
            return false; // controlled (persistence): keep the client on its server
        }

        return connection.Key.Protocol switch
        {
            (int)ServiceProtocol.Tcp => connection.State is TcpStates.TimeWait or TcpStates.Close
                || ((reuseMode & 2) != 0 && connection.State == TcpStates.FinWait
                    && (connection.Flags & ConnectionFlags.NoOutput) != 0),
            (int)ServiceProtocol.Sctp => connection.State == SctpStates.Closed,
            _ => false,
        };
    }

    /// <summary>
    /// The part of <c>ip_vs_in</c> for a packet that matched an entry. Returns <see langword="null"/> when the
    /// entry was expired (reused tuple, deleted server) and the packet must be scheduled afresh.
    /// </summary>
    private PacketDecision? HandleExisting(Connection connection, in PacketInfo packet, ConnectionTableOptions options, long now)
    {
        var destination = connection.Destination;
        if (IsNewConnection(in packet))
        {
            var reschedule = options.ExpireNodestConn && destination.Weight == 0;
            reschedule |= !reschedule && options.ConnReuseMode != 0 && IsNewConnectionExpected(connection, options.ConnReuseMode);
            if (reschedule)
            {
                ExpireNow(connection, now);
                return null;
            }
        }

        if (!destination.IsAvailable)
        {
            if (options.ExpireNodestConn)
            {
                ExpireNow(connection, now);
                return null;
            }

            return PacketDecision.Drop;
        }

        HandshakeSignal signal;
        lock (connection.SyncRoot)
        {
            if (connection.IsRemoved)
            {
                return null;
            }

            CountInbound(destination, packet.Length);
            signal = connection.Transition(PacketDirection.Input, in packet, options);
            connection.RestartTimer(now, _wheel);
        }

        if (signal != HandshakeSignal.None)
        {
            Signal(signal, destination);
        }

        return PacketDecision.ForConnection(connection);
    }

    /// <summary><c>ip_vs_in_stats</c>: counted only while the server is still in its service.</summary>
    private static void CountInbound(RealServerState destination, int length)
    {
        if (destination.IsAvailable)
        {
            destination.Statistics.AddInbound(length);
            destination.Service.Statistics.AddInbound(length);
        }
    }

    private void Signal(HandshakeSignal signal, RealServerState destination)
    {
        var observer = HandshakeObserver;
        if (observer is null)
        {
            return;
        }

        if (signal == HandshakeSignal.Answered)
        {
            observer.Answered(destination);
        }
        else
        {
            observer.Retransmitted(destination);
        }
    }

    private long NowMilliseconds() => _timeProvider.GetElapsedTime(_startTimestamp).Ticks / TimeSpan.TicksPerMillisecond;
}
