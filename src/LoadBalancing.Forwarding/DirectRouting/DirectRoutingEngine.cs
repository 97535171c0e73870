using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Runtime;

namespace LoadBalancing.Forwarding.DirectRouting;

/// <summary>
/// The Direct-Routing decision for one frame, independent of any socket: parse, find the virtual service and the
/// connection (scheduling new ones), rewrite the MAC addresses in place. Thread-safe; allocates nothing per frame
/// and never throws for frame content.
/// </summary>
/// <remarks>
/// Counting: the connection table counts connections, packets and bytes per service and real server
/// (<c>ip_vs_in_stats</c>/<c>ip_vs_conn_stats</c>) when it forwards; this engine counts frames per verdict in
/// <see cref="DirectRoutingStatistics"/>. A packet forwarded by the table but dropped here for an unknown MAC is
/// therefore already in the server's counters, as IPVS counts before <c>dst_link_failure</c>.
/// </remarks>
internal sealed class DirectRoutingEngine
{
    private readonly ServiceTable _services;
    private readonly ConnectionTable _connections;
    private readonly INeighbourTable _neighbours;
    private readonly MacAddress _directorMac;
    private readonly bool _drainRemoved;

    public DirectRoutingEngine(ServiceTable services, ConnectionTable connections, INeighbourTable neighbours, MacAddress directorMac, DirectRoutingStatistics? statistics = null, bool drainRemovedServers = true)
    {
        _drainRemoved = drainRemovedServers;
        _services = services;
        _connections = connections;
        _neighbours = neighbours;
        _directorMac = directorMac;
        Statistics = statistics ?? new DirectRoutingStatistics();
    }

    public DirectRoutingStatistics Statistics { get; }

    public MacAddress DirectorMac => _directorMac;

    /// <summary>Sets the XDP fast path that forwarded established flows are offered to (before the first frame).</summary>
    internal XdpFastPath? FastPath { get; set; }

    /// <summary>Whether a verdict means "send the rewritten frame".</summary>
    public static bool IsSend(DirectRoutingVerdict verdict) => verdict is DirectRoutingVerdict.Forward or DirectRoutingVerdict.RelayIcmp;

    /// <summary>Decides what to do with <paramref name="frame"/>; when <see cref="IsSend"/>, the frame has been rewritten and is ready to send.</summary>
    public DirectRoutingVerdict Process(Span<byte> frame)
    {
        var verdict = Decide(frame);
        Statistics.Count(verdict);
        return verdict;
    }

    private DirectRoutingVerdict Decide(Span<byte> frame)
    {
        var result = FrameParser.Parse(frame, out var parsed);
        switch (result)
        {
            case FrameParseResult.Ok:
            case FrameParseResult.IcmpError:
                break;
            case FrameParseResult.NotIp:
                return DirectRoutingVerdict.NotIp;
            case FrameParseResult.Fragment:
                return DirectRoutingVerdict.Fragment;
            case FrameParseResult.UnsupportedProtocol:
                return DirectRoutingVerdict.UnsupportedProtocol;
            default:
                return DirectRoutingVerdict.Malformed;
        }

        // Frames flooded by a bridge, or our own forwarded frames seen again, carry another host's MAC: forwarding
        // them would duplicate packets. The packet socket sees them because taps get PACKET_OTHERHOST frames too.
        if (parsed.Destination != _directorMac)
        {
            return DirectRoutingVerdict.NotForDirector;
        }

        ref readonly var packet = ref parsed.Packet;
        if (result == FrameParseResult.IcmpError)
        {
            return RelayIcmp(frame, in packet);
        }

        var service = FindService(in packet);
        var bareSyn = packet.Protocol == ServiceProtocol.Tcp && (packet.TcpFlags & (TcpFlags.Syn | TcpFlags.Ack)) == TcpFlags.Syn;
        var kernelScheduled = false;
        if (bareSyn && service is not null && FastPath is { } fastPath)
        {
            // The tuple's kernel flow first (a FIN or RST only the kernel saw), so the table decides on its state.
            kernelScheduled = fastPath.SchedulesInKernel(service);
            fastPath.ReconcileSyn(in packet, kernelScheduled);
        }

        var decision = kernelScheduled
            ? KernelScheduledSyn(in packet, service!, FastPath!)
            : _connections.ProcessInbound(in packet, service);
        switch (decision.Verdict)
        {
            case ConnectionVerdict.Forward:
                break;
            case ConnectionVerdict.NotScheduled:
                return service is null ? DirectRoutingVerdict.NoService : DirectRoutingVerdict.NotScheduled;
            case ConnectionVerdict.NoDestination:
                return DirectRoutingVerdict.NoDestination;
            default:
                return DrainRemoved(frame, in packet);
        }

        var destination = decision.Destination!;
        if (destination.Method != ForwardingMethod.Route)
        {
            return DirectRoutingVerdict.UnsupportedMethod;
        }

        if (!_neighbours.TryGetMac(destination.Address, out var mac))
        {
            _neighbours.RequestResolution(destination.Address);
            return DirectRoutingVerdict.NoNeighbour;
        }

        Rewrite(frame, mac);
        FastPath?.OnForwarded(in packet, decision.Connection, mac);
        return DirectRoutingVerdict.Forward;
    }

    /// <summary>
    /// A bare SYN of a service the kernel schedules that reached user space, its tuple's flow reconciled with the
    /// kernel's (a retransmission of a SYN the kernel scheduled has adopted that connection). A new connection takes
    /// the kernel's next published pick, so that both hand out one sequence; without one, the table asks the
    /// scheduler as for any service.
    /// </summary>
    private PacketDecision KernelScheduledSyn(in PacketInfo packet, VirtualServiceState service, XdpFastPath fastPath)
    {
        if (_connections.Find(packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort) is null
            && fastPath.TryTakePick(service, out var pick)
            && _connections.AddScheduled(in packet, service, pick) is { } connection)
        {
            return new PacketDecision(ConnectionVerdict.Forward, connection, connection.Destination, connection.DestinationPort);
        }

        return _connections.ProcessInbound(in packet, service);
    }

    /// <summary>
    /// The table drops packets of a connection whose real server was removed from its service (IPVS without
    /// <c>expire_nodest_conn</c>). An administrative removal must not break the server's open connections, so they
    /// keep going to it until they end or their entry times out; new connections were never scheduled there.
    /// </summary>
    private DirectRoutingVerdict DrainRemoved(Span<byte> frame, in PacketInfo packet)
    {
        if (!_drainRemoved)
        {
            return DirectRoutingVerdict.Drop;
        }

        var connection = _connections.Find(packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort);
        if (connection is null || connection.Destination.IsAvailable || connection.Method != ForwardingMethod.Route
            || !_neighbours.TryGetMac(connection.DestinationAddress, out var mac))
        {
            return DirectRoutingVerdict.Drop;
        }

        Rewrite(frame, mac);
        FastPath?.OnForwarded(in packet, connection, mac);
        return DirectRoutingVerdict.Forward;
    }

    /// <summary>
    /// The embedded packet is a real server's reply (virtual address:port → client:port); its connection is the
    /// one keyed by the reverse. IPVS relays the error to that connection's server unchanged for DR.
    /// </summary>
    private DirectRoutingVerdict RelayIcmp(Span<byte> frame, in PacketInfo embedded)
    {
        var connection = _connections.Find(embedded.Protocol, embedded.DestinationAddress, embedded.DestinationPort, embedded.SourceAddress, embedded.SourcePort);
        if (connection is null || connection.Method != ForwardingMethod.Route)
        {
            return connection is null ? DirectRoutingVerdict.NoService : DirectRoutingVerdict.UnsupportedMethod;
        }

        if (!_neighbours.TryGetMac(connection.DestinationAddress, out var mac))
        {
            _neighbours.RequestResolution(connection.DestinationAddress);
            return DirectRoutingVerdict.NoNeighbour;
        }

        Rewrite(frame, mac);
        return DirectRoutingVerdict.RelayIcmp;
    }

    /// <summary>DR changes only the link layer: IP and transport headers and their checksums stay as received.</summary>
    private void Rewrite(Span<byte> frame, MacAddress destination)
    {
        destination.Write(frame);
        _directorMac.Write(frame[MacAddress.Length..]);
    }

    /// <summary>
    /// <c>ip_vs_service_find</c> for address-based services: the exact port, then the catch-all port 0 of a
    /// persistent service. Firewall marks do not exist on this path (no netfilter mark on a packet socket).
    /// </summary>
    private VirtualServiceState? FindService(in PacketInfo packet)
    {
        var key = VirtualServiceKey.ForAddress(packet.Protocol, packet.DestinationAddress, packet.DestinationPort);
        if (_services.TryGetService(in key, out var service))
        {
            return service;
        }

        var any = VirtualServiceKey.ForAddress(packet.Protocol, packet.DestinationAddress, 0);
        return _services.TryGetService(in any, out service) ? service : null;
    }
}
