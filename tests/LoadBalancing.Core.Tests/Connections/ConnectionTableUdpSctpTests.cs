using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

public sealed class ConnectionTableUdpSctpTests
{
    [Fact]
    public void ProcessInbound_UdpDatagrams_CountOnlyAsInactive()
    {
        var t = new TestConnections();
        var service = t.Service(ServiceProtocol.Udp, 53, servers: Server("10.0.0.1", port: 53));
        var dest = Dest(service, "10.0.0.1");

        var first = t.In(Udp("203.0.113.1", 5000), service);
        t.In(Udp("203.0.113.1", 5000), service);
        t.In(Udp("203.0.113.2", 5000), service);

        Assert.Equal("UDP", first.Connection!.StateName);
        Assert.Equal((0, 2, 0), Counters(dest));
        Assert.Equal(2, dest.Statistics.Connections);
        Assert.Equal(3, dest.Statistics.InPackets);
    }

    [Fact]
    public void Expire_UdpAfterDefaultTimeout_FreesInactiveCount()
    {
        var t = new TestConnections();
        var service = t.Service(ServiceProtocol.Udp, 53, servers: Server("10.0.0.1", port: 53));
        var dest = Dest(service, "10.0.0.1");
        t.In(Udp("203.0.113.1", 5000), service);

        t.Elapse(299);
        Assert.Equal((0, 1, 0), Counters(dest));
        t.Elapse(1);
        Assert.Equal((0, 0, 0), Counters(dest));
        Assert.Equal(0, t.Table.ConnectionCount);
    }

    [Fact]
    public void ProcessInbound_OnePacketScheduling_KeepsNoEntry()
    {
        var t = new TestConnections();
        var service = t.Service(ServiceProtocol.Udp, 53, onePacket: true, servers: [Server("10.0.0.1", port: 53), Server("10.0.0.2", port: 53)]);

        var a = t.In(Udp("203.0.113.1", 5000), service);
        var b = t.In(Udp("203.0.113.1", 5000), service);

        Assert.Equal(ConnectionVerdict.Forward, a.Verdict);
        Assert.Null(a.Connection);
        Assert.Equal("10.0.0.2", a.Destination!.Address.ToString());
        Assert.Equal("10.0.0.1", b.Destination!.Address.ToString()); // each datagram scheduled on its own
        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Equal((0, 0, 0), Counters(a.Destination));
        Assert.Equal(2, service.Statistics.Connections);
    }

    [Fact]
    public void ProcessInbound_SctpAssociation_ActiveOnlyWhenEstablished()
    {
        var t = new TestConnections();
        var service = t.Service(ServiceProtocol.Sctp, 3868, servers: Server("10.0.0.1", port: 3868));
        var dest = Dest(service, "10.0.0.1");

        Assert.Equal(ConnectionVerdict.NotScheduled, t.In(Sctp("203.0.113.1", 7000, SctpChunkType.Data), service).Verdict);

        var conn = t.In(Sctp("203.0.113.1", 7000, SctpChunkType.Init), service).Connection!;
        Assert.Equal("INIT1", conn.StateName);
        Assert.Equal((0, 1, 0), Counters(dest));

        // DR: INPUT-ONLY, the client's COOKIE ECHO is all the director sees of the handshake.
        t.In(Sctp("203.0.113.1", 7000, SctpChunkType.CookieEcho), service);
        Assert.Equal("ESTABLISHED", conn.StateName);
        Assert.Equal((1, 0, 0), Counters(dest));

        t.In(Sctp("203.0.113.1", 7000, SctpChunkType.Shutdown), service);
        Assert.Equal("S-RECEIVED", conn.StateName);
        Assert.Equal((0, 1, 0), Counters(dest));
    }
}
