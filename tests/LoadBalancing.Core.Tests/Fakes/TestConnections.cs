using System.Collections.Immutable;
using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Tests.Fakes;

/// <summary>Builds rr services, packets and a table on a fake clock for connection-table tests.</summary>
internal sealed class TestConnections
{
    public static readonly NetworkAddress Vip = NetworkAddress.Parse("192.168.1.254");

    public TestConnections(ConnectionTableOptions? options = null)
    {
        Time = new FakeTimeProvider();
        Table = new ConnectionTable(Time, options);
    }

    public FakeTimeProvider Time { get; }

    public ConnectionTable Table { get; }

    public static RealServerConfig Server(string address, ForwardingMethod method = ForwardingMethod.Route, ushort port = 80, int weight = 1, uint upper = 0, uint lower = 0)
        => new()
        {
            Address = NetworkAddress.Parse(address),
            Port = port,
            Method = method,
            Weight = weight,
            UpperThreshold = upper,
            LowerThreshold = lower,
        };

    /// <summary>An rr service; servers are given in "-a" order, so the last one is picked first.</summary>
    public VirtualServiceState Service(
        ServiceProtocol protocol = ServiceProtocol.Tcp,
        ushort port = 80,
        TimeSpan? persistence = null,
        int? prefixLength = null,
        bool onePacket = false,
        uint firewallMark = 0,
        params RealServerConfig[] servers)
        => Service(new VirtualServiceConfig
        {
            Key = firewallMark != 0 ? VirtualServiceKey.ForFirewallMark(firewallMark) : VirtualServiceKey.ForAddress(protocol, Vip, port),
            Scheduler = SchedulerNames.RoundRobin,
            PersistenceTimeout = persistence,
            PersistencePrefixLength = prefixLength,
            OnePacket = onePacket,
            RealServers = [.. servers],
        });

    public VirtualServiceState Service(VirtualServiceConfig config)
        => VirtualServiceState.CreateDetached(config, SchedulerRegistry.Default, Time);

    /// <summary>Re-applies the service with a new server list (deleting a server marks it unavailable).</summary>
    public void SetServers(VirtualServiceState service, params RealServerConfig[] servers)
        => service.Apply(service.Config with { RealServers = ImmutableArray.Create(servers) }, SchedulerRegistry.Default, Time);

    public static PacketInfo Tcp(string client, ushort clientPort, TcpFlags flags, ushort port = 80, int length = 60)
        => new()
        {
            Protocol = ServiceProtocol.Tcp,
            SourceAddress = NetworkAddress.Parse(client),
            SourcePort = clientPort,
            DestinationAddress = Vip,
            DestinationPort = port,
            TcpFlags = flags,
            Length = length,
        };

    public static PacketInfo Udp(string client, ushort clientPort, ushort port = 53, int length = 100)
        => new()
        {
            Protocol = ServiceProtocol.Udp,
            SourceAddress = NetworkAddress.Parse(client),
            SourcePort = clientPort,
            DestinationAddress = Vip,
            DestinationPort = port,
            Length = length,
        };

    public static PacketInfo Sctp(string client, ushort clientPort, SctpChunkType chunk, ushort port = 3868)
        => new()
        {
            Protocol = ServiceProtocol.Sctp,
            SourceAddress = NetworkAddress.Parse(client),
            SourcePort = clientPort,
            DestinationAddress = Vip,
            DestinationPort = port,
            SctpChunk = chunk,
            Length = 80,
        };

    /// <summary>The server's reply to <paramref name="connection"/>, as the director sees it with NAT.</summary>
    public static PacketInfo Reply(Connection connection, TcpFlags flags, int length = 60)
        => new()
        {
            Protocol = ServiceProtocol.Tcp,
            SourceAddress = connection.DestinationAddress,
            SourcePort = connection.DestinationPort,
            DestinationAddress = connection.ClientAddress,
            DestinationPort = connection.ClientPort,
            TcpFlags = flags,
            Length = length,
        };

    public PacketDecision In(in PacketInfo packet, VirtualServiceState? service) => Table.ProcessInbound(in packet, service);

    /// <summary>Moves the clock one second at a time, expiring as the periodic timer would.</summary>
    public void Elapse(int seconds)
    {
        for (var i = 0; i < seconds; i++)
        {
            Time.Advance(TimeSpan.FromSeconds(1));
            Table.Expire();
        }
    }

    public static RealServerState Dest(VirtualServiceState service, string address)
        => service.Destinations.Single(d => d.Address == NetworkAddress.Parse(address));

    public static (int Active, int Inactive, int Persistent) Counters(RealServerState dest)
        => (dest.ActiveConnections, dest.InactiveConnections, dest.PersistentConnections);
}
