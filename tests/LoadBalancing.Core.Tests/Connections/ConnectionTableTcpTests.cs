using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

public sealed class ConnectionTableTcpTests
{
    [Fact]
    public void ProcessInbound_DirectRoutingFlow_FollowsInputOnlyTableAndCounters()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var dest = Dest(service, "10.0.0.1");

        // SYN: NONE -> SYN_RECV, already active (Linux >= 4.7), 60 s.
        var syn = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        Assert.Equal(ConnectionVerdict.Forward, syn.Verdict);
        var conn = syn.Connection!;
        Assert.Same(dest, syn.Destination);
        Assert.Equal(80, syn.DestinationPort);
        Assert.Equal("SYN_RECV", conn.StateName);
        Assert.True((conn.Flags & ConnectionFlags.NoOutput) != 0);
        Assert.Equal((1, 0, 0), Counters(dest));

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        Assert.Equal("ESTABLISHED", conn.StateName);
        Assert.Equal((1, 0, 0), Counters(dest));

        // INPUT-ONLY fin: ESTABLISHED -> FIN_WAIT (the normal INPUT table would say CLOSE_WAIT); now inactive.
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Fin | TcpFlags.Ack), service);
        Assert.Equal("FIN_WAIT", conn.StateName);
        Assert.Equal((0, 1, 0), Counters(dest));

        // ack keeps FIN_WAIT, rst closes.
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        Assert.Equal("FIN_WAIT", conn.StateName);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service);
        Assert.Equal("CLOSE", conn.StateName);
        Assert.Equal((0, 1, 0), Counters(dest));

        Assert.Equal(1, service.Statistics.Connections);
        Assert.Equal(5, dest.Statistics.InPackets);
        Assert.Equal(300, service.Statistics.InBytes);
    }

    [Fact]
    public void ProcessOutbound_NatFlow_UsesInputAndOutputTables()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1", ForwardingMethod.Masquerade, port: 8080));
        var dest = Dest(service, "10.0.0.1");

        var conn = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;
        Assert.Equal(8080, conn.DestinationPort);
        Assert.Equal(ConnectionFlags.None, conn.Flags & ConnectionFlags.NoOutput);

        var synAck = t.Table.ProcessOutbound(Reply(conn, TcpFlags.Syn | TcpFlags.Ack));
        Assert.Equal(ConnectionVerdict.Forward, synAck.Verdict);
        Assert.Same(conn, synAck.Connection);
        Assert.Equal("SYN_RECV", conn.StateName); // OUTPUT syn on SR stays SR

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        Assert.Equal("ESTABLISHED", conn.StateName);

        // INPUT fin: ESTABLISHED -> CLOSE_WAIT (inactive), OUTPUT fin: CLOSE_WAIT -> TIME_WAIT.
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Fin | TcpFlags.Ack), service);
        Assert.Equal("CLOSE_WAIT", conn.StateName);
        Assert.Equal((0, 1, 0), Counters(dest));
        t.Table.ProcessOutbound(Reply(conn, TcpFlags.Fin | TcpFlags.Ack));
        Assert.Equal("TIME_WAIT", conn.StateName);

        Assert.Equal(2, dest.Statistics.OutPackets);
        Assert.Equal(2, service.Statistics.OutPackets);
    }

    [Fact]
    public void ProcessOutbound_DirectRoutingEntry_IsNotHandled()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var conn = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;

        Assert.Equal(ConnectionVerdict.NotScheduled, t.Table.ProcessOutbound(Reply(conn, TcpFlags.Syn | TcpFlags.Ack)).Verdict);
        Assert.Equal("SYN_RECV", conn.StateName);
    }

    [Fact]
    public void Transition_OutputOnNoOutputEntry_ClearsFlagAndLeavesInputOnlyTable()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var conn = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);

        lock (conn.SyncRoot)
        {
            conn.Transition(PacketDirection.Output, Reply(conn, TcpFlags.Ack), t.Table.Options);
        }

        Assert.Equal(ConnectionFlags.None, conn.Flags & ConnectionFlags.NoOutput);

        // Now the normal INPUT table: fin on ESTABLISHED gives CLOSE_WAIT, not FIN_WAIT.
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Fin), service);
        Assert.Equal("CLOSE_WAIT", conn.StateName);
    }

    [Theory]
    [InlineData(TcpFlags.Ack)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack)]
    [InlineData(TcpFlags.Syn | TcpFlags.Rst)]
    [InlineData(TcpFlags.Rst)]
    public void ProcessInbound_NoSynWithoutEntry_IsNotScheduled(TcpFlags flags)
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));

        Assert.Equal(ConnectionVerdict.NotScheduled, t.In(Tcp("203.0.113.1", 40000, flags), service).Verdict);
        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Equal((0, 0, 0), Counters(Dest(service, "10.0.0.1")));
    }

    [Fact]
    public void ProcessInbound_SloppyTcpAck_CreatesEstablishedEntry()
    {
        var t = new TestConnections(new ConnectionTableOptions { SloppyTcp = true });
        var service = t.Service(servers: Server("10.0.0.1"));

        var decision = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);

        Assert.Equal("ESTABLISHED", decision.Connection!.StateName);
        Assert.Equal((1, 0, 0), Counters(Dest(service, "10.0.0.1")));
    }

    [Fact]
    public void ProcessInbound_NoUsableServer_NoDestination()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1", weight: 0));

        Assert.Equal(ConnectionVerdict.NoDestination, t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Verdict);
    }

    [Fact]
    public void ProcessInbound_NoService_OnlyExistingEntries()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);

        Assert.Equal(ConnectionVerdict.Forward, t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), null).Verdict);
        Assert.Equal(ConnectionVerdict.NotScheduled, t.In(Tcp("203.0.113.2", 40000, TcpFlags.Syn), null).Verdict);
    }

    [Fact]
    public void ProcessInbound_FromFtpDataPort_IsNotScheduled()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));

        Assert.Equal(ConnectionVerdict.NotScheduled, t.In(Tcp("203.0.113.1", 20, TcpFlags.Syn), service).Verdict);
    }

    [Fact]
    public void ProcessInbound_SynOnTimeWaitEntry_ReschedulesWithConnReuse()
    {
        var t = new TestConnections();
        var service = t.Service(servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        var first = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service); // INPUT-ONLY rst on SYN_RECV stays SYN_RECV
        Assert.Equal("SYN_RECV", first.StateName);

        // Drive it to CLOSE: ack (ESTABLISHED), rst (CLOSE).
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service);
        Assert.Equal("CLOSE", first.StateName);

        var second = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service).Connection!;

        Assert.NotSame(first, second);
        Assert.Equal("10.0.0.1", second.DestinationAddress.ToString()); // rr moved on from 10.0.0.2
        Assert.Equal((1, 0, 0), Counters(Dest(service, "10.0.0.1")));
        Assert.Equal((0, 0, 0), Counters(Dest(service, "10.0.0.2")));
    }

    [Fact]
    public void ProcessInbound_DeletedServer_DropsOrReschedulesPerExpireNodestConn()
    {
        var t = new TestConnections();
        var service = t.Service(servers: [Server("10.0.0.1"), Server("10.0.0.2")]);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service); // 10.0.0.2
        t.SetServers(service, Server("10.0.0.1"));

        Assert.Equal(ConnectionVerdict.Drop, t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service).Verdict);

        t.Table.Options = new ConnectionTableOptions { ExpireNodestConn = true };
        Assert.Equal(ConnectionVerdict.NotScheduled, t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service).Verdict);
        Assert.Equal(0, t.Table.ConnectionCount);
    }
}
