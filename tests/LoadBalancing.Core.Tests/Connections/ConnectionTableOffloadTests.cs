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

    [Fact]
    public void AddOffloadedTraffic_SegmentsFromSynRecv_MoveTheEntryAsTheTableWouldAndTellTheObserver()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");
        var observer = new AnsweredCounter();
        t.Table.HandshakeObserver = observer;
        var connection = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;
        Assert.Equal("SYN_RECV", connection.StateName);
        Assert.Equal((1, 0), (dest.ActiveConnections, dest.InactiveConnections)); // SYN_RECV is active in IPVS too

        // The handshake's ACK and a request went through the kernel: SYN_RECV → ESTABLISHED.
        Assert.True(t.Table.AddOffloadedTraffic(connection, packets: 2, bytes: 120, TcpFlags.Ack));
        Assert.Equal("ESTABLISHED", connection.StateName);
        Assert.Equal((1, 0), (dest.ActiveConnections, dest.InactiveConnections));
        Assert.Equal(1, observer.Answered);

        // Then the client's FIN: FIN_WAIT (INPUT-ONLY), inactive, on the FIN_WAIT timeout.
        Assert.True(t.Table.AddOffloadedTraffic(connection, packets: 1, bytes: 40, TcpFlags.Fin));
        Assert.Equal("FIN_WAIT", connection.StateName);
        Assert.Equal((0, 1), (dest.ActiveConnections, dest.InactiveConnections));
        Assert.Equal(1, observer.Answered);
        t.Elapse(119);
        Assert.Equal(1, t.Table.ConnectionCount);
        t.Elapse(2);
        Assert.Equal(0, t.Table.ConnectionCount);
    }

    [Fact]
    public void AddOffloadedTraffic_AckFinAndRstInOneFold_AppliedInThatOrder()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var connection = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;

        Assert.True(t.Table.AddOffloadedTraffic(connection, packets: 3, bytes: 120, TcpFlags.Ack | TcpFlags.Fin));
        Assert.Equal("FIN_WAIT", connection.StateName); // SYN_RECV -ack-> ESTABLISHED -fin-> FIN_WAIT (a FIN first: TIME_WAIT)

        var other = t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn), service).Connection!;
        Assert.True(t.Table.AddOffloadedTraffic(other, packets: 2, bytes: 80, TcpFlags.Ack | TcpFlags.Rst));
        Assert.Equal("CLOSE", other.StateName);
    }

    [Fact]
    public void AddOffloadedTraffic_SegmentsOfUdpEntry_AreIgnored()
    {
        var t = new TestConnections();
        var service = t.Service(protocol: ServiceProtocol.Udp, port: 53, servers: Server("10.0.0.1"));
        var connection = t.In(Udp("203.0.113.1", 5353), service).Connection!;

        Assert.True(t.Table.AddOffloadedTraffic(connection, packets: 1, bytes: 40, TcpFlags.Rst));
        Assert.Equal("UDP", connection.StateName);
        Assert.Equal(1, t.Table.ConnectionCount);
    }

    private sealed class AnsweredCounter : IHandshakeObserver
    {
        public int Answered { get; private set; }

        void IHandshakeObserver.Answered(LoadBalancing.Runtime.RealServerState destination) => Answered++;

        void IHandshakeObserver.Retransmitted(LoadBalancing.Runtime.RealServerState destination) => throw new InvalidOperationException("no SYN was retransmitted");

        void IHandshakeObserver.Unanswered(LoadBalancing.Runtime.RealServerState destination) => throw new InvalidOperationException("no handshake expired");
    }
}
