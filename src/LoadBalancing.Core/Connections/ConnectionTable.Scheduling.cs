using System.Net.Sockets;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;

namespace LoadBalancing.Connections;

/// <content>New connections: <c>ip_vs_schedule</c> and <c>ip_vs_sched_persist</c> (Linux 6.x ip_vs_core.c).</content>
public sealed partial class ConnectionTable
{
    /// <summary>
    /// Records a new connection whose first packet was already forwarded to <paramref name="destination"/> by
    /// another scheduler that took its pick from <paramref name="service"/>'s scheduler (the Direct-Routing kernel
    /// fast path schedules SYNs in the kernel): creates the entry as <see cref="ProcessInbound"/> would have for
    /// <paramref name="packet"/>, with the same counters and state transition, without asking the scheduler again.
    /// </summary>
    /// <param name="packet">The connection's first packet (a TCP SYN), client → virtual address.</param>
    /// <param name="service">The virtual service the packet was scheduled on.</param>
    /// <param name="destination">The real server it went to; one of <paramref name="service"/>'s destinations.</param>
    /// <returns>
    /// The entry: a new one, or the existing one if it already goes to <paramref name="destination"/> (it then counts
    /// the packet as <see cref="ProcessInbound"/> would). An existing entry to another server is expired first: the
    /// packet was forwarded already, so the connection follows it (IPVS's <c>conn_reuse_mode</c> might have kept a
    /// FIN_WAIT entry's server). <see langword="null"/> when the service is persistent (templates are not handled
    /// here) or the packet may not create an entry.
    /// </returns>
    public Connection? AddScheduled(in PacketInfo packet, VirtualServiceState service, RealServerState destination)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(destination);
        if (service.Config.PersistenceTimeout is not null || destination.Service != service)
        {
            return null;
        }

        var options = Options;
        var now = NowMilliseconds();
        var key = new ConnectionKey((int)packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort);
        for (var attempt = 0; attempt < 8; attempt++)
        {
            if (_connections.TryGetValue(key, out var existing))
            {
                if (existing.Destination != destination && MayCreate(in packet, options))
                {
                    // The packet went elsewhere than the tuple's entry says (a reused tuple the other scheduler took
                    // for new): the connection lives on that server now, so the old entry ends.
                    ExpireNow(existing, now);
                    continue;
                }

                if (HandleExisting(existing, in packet, options, now) is { } found)
                {
                    return found.Connection?.Destination == destination ? found.Connection : null;
                }
            }

            if (!MayCreate(in packet, options))
            {
                return null;
            }

            var scheduled = Schedule(in key, in packet, service, options, now, destination, out var retry);
            if (!retry)
            {
                return scheduled.Connection;
            }
        }

        return null;
    }

    /// <summary>
    /// Creates the entry for a new connection. <paramref name="retry"/> is set when another worker created the
    /// same entry (or template) first; the caller then looks it up again. <c>chosen</c> is a destination already
    /// taken from the service's scheduler (non-persistent services only), or null to ask it.
    /// </summary>
    private PacketDecision Schedule(in ConnectionKey key, in PacketInfo packet, VirtualServiceState service, ConnectionTableOptions options, long now, RealServerState? chosen, out bool retry)
    {
        retry = false;

        // Active FTP data connections from a local real server are never scheduled.
        if (packet.SourcePort == FtpDataPort)
        {
            return PacketDecision.NotScheduled;
        }

        var config = service.Config;
        var serviceKey = service.Key;
        var request = new SchedulingRequest(packet.Protocol, packet.SourceAddress, packet.SourcePort, packet.DestinationAddress, packet.DestinationPort);
        RealServerState? destination;
        ushort destinationPort;
        Connection? template = null;

        if (config.PersistenceTimeout is { } persistence)
        {
            template = FindOrCreateTemplate(in packet, service, config, persistence, options, now, in request, out retry);
            if (template is null)
            {
                return retry ? default : PacketDecision.NoDestination;
            }

            destination = template.Destination;

            // ip_vs_sched_persist: a connection to the service port goes to the server's port; a port-0 or
            // firewall-mark service keeps the client's destination port (also when the server port is 0).
            destinationPort = packet.DestinationPort;
            if (destinationPort == serviceKey.Port && destination.Port != 0)
            {
                destinationPort = destination.Port;
            }
        }
        else
        {
            // Non-persistent services only take their own port ("port zero only supported in persistent services").
            if (!serviceKey.IsFirewallMark && packet.DestinationPort != serviceKey.Port)
            {
                return PacketDecision.NoDestination;
            }

            destination = chosen ?? service.Schedule(in request);
            if (destination is null)
            {
                return PacketDecision.NoDestination;
            }

            destinationPort = destination.Port != 0 ? destination.Port : packet.DestinationPort;
        }

        if (config.OnePacket && packet.Protocol == ServiceProtocol.Udp)
        {
            return SchedulePacketOnly(in packet, service, destination, destinationPort, template);
        }

        // ip_vs_ctl.c gives every destination's entries INACTIVE, plus NOOUTPUT unless replies come back (NAT).
        var flags = ConnectionFlags.Inactive;
        if (destination.Method != ForwardingMethod.Masquerade)
        {
            flags |= ConnectionFlags.NoOutput;
        }

        var connection = new Connection(key, destination, destinationPort, flags, template);
        connection.Bind();
        lock (connection.SyncRoot)
        {
            connection.RestartTimer(now, _wheel);
        }

        if (!_connections.TryAdd(key, connection))
        {
            // Another worker's SYN for the same tuple won: undo and take its entry.
            lock (connection.SyncRoot)
            {
                connection.IsRemoved = true;
                connection.Unbind();
            }

            template?.RemoveControlled();
            retry = true;
            return default;
        }

        if (destination.Method == ForwardingMethod.Masquerade)
        {
            _replies.TryAdd(ReplyKey(connection), connection);
        }

        // ip_vs_conn_stats
        destination.Statistics.AddConnection();
        service.Statistics.AddConnection();

        lock (connection.SyncRoot)
        {
            if (!connection.IsRemoved)
            {
                CountInbound(destination, packet.Length);
                connection.Transition(PacketDirection.Input, in packet, options);
                connection.RestartTimer(now, _wheel);
            }
        }

        return PacketDecision.ForConnection(connection);
    }

    /// <summary>
    /// One-packet scheduling (<c>-o</c>, UDP): the kernel creates an entry flagged ONE_PACKET and expires it as soon
    /// as the packet is sent. Only the side effects remain: the bind/unbind pair (which can leave OVERLOAD set,
    /// as in the kernel), the counters and the template's restarted timer.
    /// </summary>
    private static PacketDecision SchedulePacketOnly(in PacketInfo packet, VirtualServiceState service, RealServerState destination, ushort destinationPort, Connection? template)
    {
        destination.Bind(ConnectionCountKind.Inactive);
        destination.Statistics.AddConnection();
        service.Statistics.AddConnection();
        CountInbound(destination, packet.Length);
        destination.Unbind(ConnectionCountKind.Inactive);
        template?.RemoveControlled();
        return new PacketDecision(ConnectionVerdict.Forward, null, destination, destinationPort);
    }

    /// <summary>
    /// The template half of <c>ip_vs_sched_persist</c>: find the client's template and check its server, or ask
    /// the scheduler and create one. On success the template already counts the new connection as controlled
    /// and its timer has been restarted. Returns <see langword="null"/> when no server is available, or with
    /// <paramref name="retry"/> set after losing a race.
    /// </summary>
    private Connection? FindOrCreateTemplate(in PacketInfo packet, VirtualServiceState service, VirtualServiceConfig config, TimeSpan persistence, ConnectionTableOptions options, long now, in SchedulingRequest request, out bool retry)
    {
        retry = false;
        var templateKey = TemplateKey(in packet, service.Key, config);
        for (var attempt = 0; attempt < 4; attempt++)
        {
            if (!_templates.TryGetValue(templateKey, out var template) || !CheckTemplate(template, options))
            {
                var destination = service.Schedule(in request);
                if (destination is null)
                {
                    return null;
                }

                // Non-FTP templates on the service port remember the server's port; the others 0.
                var templatePort = packet.DestinationPort == service.Key.Port && service.Key.Port != FtpPort ? destination.Port : (ushort)0;
                template = new Connection(templateKey, destination, templatePort, ConnectionFlags.Template, template: null)
                {
                    TimeoutMilliseconds = (long)persistence.TotalMilliseconds,
                };
                template.Bind();
                if (!_templates.TryAdd(templateKey, template))
                {
                    lock (template.SyncRoot)
                    {
                        template.IsRemoved = true;
                        template.Unbind();
                    }

                    continue;
                }
            }

            lock (template.SyncRoot)
            {
                if (template.IsRemoved)
                {
                    continue; // expired between lookup and use
                }

                // ip_vs_control_add, then ip_vs_conn_put(ct): the template's timer restarts on every new connection.
                template.AddControlled();
                template.RestartTimer(now, _wheel);
            }

            return template;
        }

        retry = true;
        return null;
    }

    /// <summary>
    /// The template key: <c>&lt;proto, caddr &amp; mask, 0, vaddr, vport&gt;</c>, where FTP (port 21), port-0 and
    /// firewall-mark services use vport 0, and firewall-mark services use protocol IP and the mark as address.
    /// </summary>
    private static ConnectionKey TemplateKey(in PacketInfo packet, VirtualServiceKey serviceKey, VirtualServiceConfig config)
    {
        var protocol = (int)packet.Protocol;
        var virtualAddress = packet.DestinationAddress;
        ushort virtualPort = 0;
        if (packet.DestinationPort == serviceKey.Port)
        {
            if (serviceKey.Port != FtpPort)
            {
                virtualPort = packet.DestinationPort;
            }
        }
        else if (serviceKey.IsFirewallMark)
        {
            protocol = ConnectionKey.ProtocolIp;
            virtualAddress = MarkAddress(serviceKey.FirewallMark, serviceKey.Family);
        }

        var clientNetwork = packet.SourceAddress.Mask(Math.Min(config.EffectivePersistencePrefixLength, packet.SourceAddress.BitLength));
        return new ConnectionKey(protocol, clientNetwork, 0, virtualAddress, virtualPort);
    }

    /// <summary>
    /// The kernel stores the mark in the address union (<c>.ip = htonl(fwmark)</c>), so IPv4 lists it as
    /// <c>0.0.0.M</c> and IPv6 as the mark in the first 32 bits.
    /// </summary>
    private static NetworkAddress MarkAddress(uint mark, AddressFamily family)
        => family == AddressFamily.InterNetworkV6 ? NetworkAddress.FromIPv6((UInt128)mark << 96) : NetworkAddress.FromIPv4(mark);

    /// <summary>
    /// <c>ip_vs_check_template</c>: a template is usable while its server is in the service and, with
    /// <c>expire_quiescent_template</c>, has a weight. An unusable template is unhashed (kept in the listing
    /// with ports 65535 until its timer runs out) so the client is scheduled again. OVERLOAD does not matter.
    /// </summary>
    private bool CheckTemplate(Connection template, ConnectionTableOptions options)
    {
        var destination = template.Destination;
        if (destination.IsAvailable && !(options.ExpireQuiescentTemplate && destination.Weight == 0))
        {
            return true;
        }

        if (_templates.TryRemove(KeyValuePair.Create(template.Key, template)))
        {
            lock (template.SyncRoot)
            {
                template.SetFlag(ConnectionFlags.Invalidated, on: true);
                if (!template.IsRemoved)
                {
                    _invalidatedTemplates.TryAdd(template, 0);
                }
            }
        }

        return false;
    }

    private static ConnectionKey ReplyKey(Connection connection)
        => new(connection.Key.Protocol, connection.DestinationAddress, connection.DestinationPort, connection.ClientAddress, connection.ClientPort);
}
