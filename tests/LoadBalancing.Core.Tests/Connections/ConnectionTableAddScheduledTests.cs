using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

/// <summary>A connection scheduled elsewhere from the service's scheduler's pick (<see cref="ConnectionTable.AddScheduled"/>).</summary>
public sealed class ConnectionTableAddScheduledTests
{
    [Fact]
    public void AddScheduled_CreatesTheEntryOnTheGivenServer_AsTheTableWouldHave_WithoutAskingTheScheduler()
    {
        var t = new TestConnections();
        var service = t.Service(servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        var first = Dest(service, "10.0.0.1");
        var second = Dest(service, "10.0.0.2");

        var connection = t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Syn, length: 60), service, first);

        Assert.NotNull(connection);
        Assert.Same(first, connection.Destination);
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.Same(connection, t.Table.Find(ServiceProtocol.Tcp, NetworkAddress.Parse("203.0.113.1"), 40000, Vip, 80));
        Assert.Equal((1, 0, 0), Counters(first));
        Assert.Equal((1L, 1L, 60L), (first.Statistics.Connections, first.Statistics.InPackets, first.Statistics.InBytes));
        Assert.Equal((1L, 1L, 60L), (service.Statistics.Connections, service.Statistics.InPackets, service.Statistics.InBytes));

        // The scheduler was not asked: rr's first pick (the last server added) is still to come.
        Assert.Same(second, t.In(Tcp("203.0.113.2", 40000, TcpFlags.Syn), service).Destination);
        Assert.Same(first, t.In(Tcp("203.0.113.3", 40000, TcpFlags.Syn), service).Destination);
    }

    [Fact]
    public void AddScheduled_AckAfterwards_EstablishesTheEntryThroughTheTable()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");
        var connection = t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service, dest)!;

        var decision = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);

        Assert.Same(connection, decision.Connection);
        Assert.Equal("ESTABLISHED", connection.StateName);
        Assert.Equal(2, dest.Statistics.InPackets);
    }

    [Fact]
    public void AddScheduled_SameTupleAgain_ReturnsTheEntryWhenItGoesToThatServer()
    {
        var t = new TestConnections();
        var service = t.Service(servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        var first = Dest(service, "10.0.0.1");
        var connection = t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service, first);

        Assert.Same(connection, t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service, first));
        Assert.Equal(1, t.Table.ConnectionCount);
        Assert.Equal(1, first.Statistics.Connections);
        Assert.Equal(2, first.Statistics.InPackets);
    }

    [Fact]
    public void AddScheduled_TupleWhoseEntryGoesToAnotherServer_EndsThatEntry_TheConnectionFollowsThePacket()
    {
        var t = new TestConnections();
        var service = t.Service(servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        var first = Dest(service, "10.0.0.1");
        var second = Dest(service, "10.0.0.2");
        var old = t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service, first)!;
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Fin | TcpFlags.Ack), service);
        Assert.Equal("FIN_WAIT", old.StateName); // a SYN here would stay on 10.0.0.1 in IPVS (conn_reuse_mode 1)

        var reused = t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service, second);

        Assert.NotNull(reused);
        Assert.Same(second, reused.Destination);
        Assert.Same(reused, t.Table.Find(ServiceProtocol.Tcp, NetworkAddress.Parse("203.0.113.1"), 40000, Vip, 80));
        Assert.Equal(1, t.Table.ConnectionCount);
        Assert.Equal((0, 0, 0), Counters(first));
        Assert.Equal((1, 0, 0), Counters(second));
    }

    [Fact]
    public void AddScheduled_PersistentServiceOrServerOfAnotherService_IsRefused()
    {
        var t = new TestConnections();
        var persistent = t.Service(persistence: TimeSpan.FromMinutes(5), servers: Server("10.0.0.1"));
        var other = t.Service(port: 443, servers: Server("10.0.0.1", port: 443));

        Assert.Null(t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Syn), persistent, Dest(persistent, "10.0.0.1")));
        Assert.Null(t.Table.AddScheduled(Tcp("203.0.113.1", 40001, TcpFlags.Syn), persistent, Dest(other, "10.0.0.1")));
        Assert.Equal(0, t.Table.ConnectionCount);
    }

    [Fact]
    public void AddScheduled_AckWithoutSyn_CreatesNothing()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));

        Assert.Null(t.Table.AddScheduled(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service, Dest(service, "10.0.0.1")));
        Assert.Equal(0, t.Table.ConnectionCount);
    }
}
