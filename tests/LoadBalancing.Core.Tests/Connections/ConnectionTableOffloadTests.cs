using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

/// <summary>Traffic a kernel fast path carried for an entry (<see cref="ConnectionTable.AddOffloadedTraffic"/>).</summary>
public sealed class ConnectionTableOffloadTests
{
    [Fact]
    public void AddOffloadedTraffic_CountsOnServerAndServiceAndRestartsTheTimer()
    {
        var t = new TestConnections(new ConnectionTableOptions { Timeouts = TimeoutConfig.Default with { TcpEstablished = TimeSpan.FromSeconds(100) } });
        var service = t.Service(servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        var connection = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service).Connection!;
        Assert.True(connection.IsEstablished);

        t.Elapse(90);
        Assert.True(t.Table.AddOffloadedTraffic(connection, packets: 40, bytes: 4000));
        t.Elapse(90);

        Assert.Equal(1, t.Table.ConnectionCount); // 90 s after the offloaded packets were folded in
        Assert.Equal(42, dest.Statistics.InPackets);
        Assert.Equal(4120, dest.Statistics.InBytes);
        Assert.Equal(42, service.Statistics.InPackets);
        t.Elapse(10);
        Assert.Equal(0, t.Table.ConnectionCount);
    }

    [Fact]
    public void AddOffloadedTraffic_NoPackets_DoesNotRestartTheTimer()
    {
        var t = new TestConnections(new ConnectionTableOptions { Timeouts = TimeoutConfig.Default with { TcpEstablished = TimeSpan.FromSeconds(100) } });
        var service = t.Service(servers: Server("10.0.0.1"));
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        var connection = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service).Connection!;

        t.Elapse(90);
        Assert.True(t.Table.AddOffloadedTraffic(connection, 0, 0));
        t.Elapse(10);

        Assert.Equal(0, t.Table.ConnectionCount);
    }

    [Fact]
    public void AddOffloadedTraffic_ExpiredEntry_ReturnsFalseAndCountsNothing()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");
        var connection = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;
        Assert.False(connection.IsEstablished); // SYN_RECV
        t.Elapse(60);

        Assert.False(t.Table.AddOffloadedTraffic(connection, 5, 500));
        Assert.Equal(1, dest.Statistics.InPackets);
    }
}
