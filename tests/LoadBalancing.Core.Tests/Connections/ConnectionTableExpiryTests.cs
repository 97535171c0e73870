using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

public sealed class ConnectionTableExpiryTests
{
    [Fact]
    public void Expire_SynRecvAfter60Seconds_FreesActiveCount()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);

        t.Elapse(59);
        Assert.Equal((1, 0, 0), Counters(dest));
        t.Elapse(1);
        Assert.Equal((0, 0, 0), Counters(dest));
        Assert.Null(t.Table.Find(ServiceProtocol.Tcp, NetworkAddress.Parse("203.0.113.1"), 40000, Vip, 80));
    }

    [Fact]
    public void Expire_PacketsRefreshTimer_EntryLivesOn()
    {
        var t = new TestConnections(new ConnectionTableOptions { Timeouts = TimeoutConfig.Default with { TcpEstablished = TimeSpan.FromSeconds(100) } });
        var service = t.Service(servers: Server("10.0.0.1"));
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);

        t.Elapse(90);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        t.Elapse(90);
        Assert.Equal(1, t.Table.ConnectionCount); // 180 s after creation, 90 s after the last packet

        t.Elapse(10);
        Assert.Equal(0, t.Table.ConnectionCount);
    }

    [Fact]
    public void Expire_ShorterTimeoutAfterStateChange_ExpiresEarly()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service); // ESTABLISHED: 900 s
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service); // CLOSE: 10 s

        t.Elapse(10);

        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Equal((0, 0, 0), Counters(dest));
    }

    [Fact]
    public void IsRemoved_AfterExpiry_True()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var connection = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;

        t.Elapse(59);
        Assert.False(connection.IsRemoved);
        t.Elapse(1);
        Assert.True(connection.IsRemoved);
    }

    [Fact]
    public void IsRemoved_TupleTakenByANewConnection_OldTrueNewFalse()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var old = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service); // CLOSE: a new SYN on the tuple schedules anew

        var renewed = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;

        Assert.NotSame(old, renewed);
        Assert.True(old.IsRemoved);
        Assert.False(renewed.IsRemoved);
    }

    [Fact]
    public void GetEntries_ListsStateExpiryAndEndpoints()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.Elapse(15);

        var entry = Assert.Single(t.Table.GetEntries());

        Assert.Equal("TCP", entry.Protocol);
        Assert.Equal("SYN_RECV", entry.State);
        Assert.Equal(TimeSpan.FromSeconds(45), entry.Expires);
        Assert.Equal(("203.0.113.1", (ushort)40000), (entry.SourceAddress.ToString(), entry.SourcePort));
        Assert.Equal((Vip, (ushort)80), (entry.VirtualAddress, entry.VirtualPort));
        Assert.Equal(("10.0.0.1", (ushort)80), (entry.DestinationAddress.ToString(), entry.DestinationPort));
        Assert.False(entry.IsTemplate);
    }

    [Fact]
    public void StartExpiryTimer_FakeClock_ExpiresWithoutManualCalls()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        using var timer = t.Table.StartExpiryTimer();
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);

        for (var i = 0; i < 61; i++)
        {
            t.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(0, t.Table.ConnectionCount);
    }
}
