using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

/// <summary>The one-way handshake signal (<see cref="IHandshakeObserver"/>): what a DR director can infer from the client's segments.</summary>
public sealed class ConnectionTableHandshakeTests
{
    [Fact]
    public void ClientAckAfterSyn_IsReportedAsAnswered_Once()
    {
        var (t, service, observer) = Setup();
        var dest = Dest(service, "10.0.0.1");

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        Assert.Empty(observer.Events);

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack | TcpFlags.Psh), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);

        Assert.Equal([("answered", dest)], observer.Events);
    }

    [Fact]
    public void SynRetransmission_IsReportedOncePerHandshake_ThenAnswerStillCounts()
    {
        var (t, service, observer) = Setup();
        var dest = Dest(service, "10.0.0.1");

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        Assert.Equal([("retransmitted", dest)], observer.Events);

        // The third SYN got through: the server answered after all.
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        Assert.Equal([("retransmitted", dest), ("answered", dest)], observer.Events);
    }

    [Fact]
    public void EntryExpiringInSynRecvAfterOneSyn_IsReportedAsUnanswered()
    {
        var (t, service, observer) = Setup();
        var dest = Dest(service, "10.0.0.1");

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.Elapse(59);
        Assert.Empty(observer.Events);
        t.Elapse(2); // SYN_RECV lives 60 s

        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Equal([("unanswered", dest)], observer.Events);
    }

    [Fact]
    public void EntryExpiringAfterRetransmission_IsNotReportedTwice()
    {
        var (t, service, observer) = Setup();
        var dest = Dest(service, "10.0.0.1");

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.Elapse(61);

        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Equal([("retransmitted", dest)], observer.Events);
    }

    [Fact]
    public void EstablishedConnectionsExpiring_AndClosedOnes_AreNotReported()
    {
        var (t, service, observer) = Setup();

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Fin | TcpFlags.Ack), service);
        t.Elapse(130);

        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Equal(["answered"], observer.Events.Select(e => e.Kind));
    }

    [Fact]
    public void ReusedTupleAfterClose_StartsANewHandshake()
    {
        var (t, service, observer) = Setup();

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Rst), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service); // CLOSE -> SYN_RECV: a new handshake, not a retransmission
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service); // this one is
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Ack), service);

        Assert.Equal(["answered", "retransmitted", "answered"], observer.Events.Select(e => e.Kind));
    }

    [Fact]
    public void NatEntries_WhoseRepliesPassTheDirector_GiveNoSignal()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1", ForwardingMethod.Masquerade, port: 8080));
        var observer = new RecordingObserver();
        t.Table.HandshakeObserver = observer;

        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40001, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40001, TcpFlags.Ack), service);
        t.Elapse(61);

        Assert.Empty(observer.Events);
    }

    [Fact]
    public void WithoutObserver_NothingIsReportedAndTheTableWorks()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));

        var first = t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.Elapse(61);

        Assert.Equal(ConnectionVerdict.Forward, first.Verdict);
        Assert.Equal(0, t.Table.ConnectionCount);
        Assert.Null(t.Table.HandshakeObserver);
    }

    private static (TestConnections Table, VirtualServiceState Service, RecordingObserver Observer) Setup()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var observer = new RecordingObserver();
        t.Table.HandshakeObserver = observer;
        return (t, service, observer);
    }

    private sealed class RecordingObserver : IHandshakeObserver
    {
        public List<(string Kind, RealServerState Destination)> Events { get; } = [];

        public void Answered(RealServerState destination) => Events.Add(("answered", destination));

        public void Retransmitted(RealServerState destination) => Events.Add(("retransmitted", destination));

        public void Unanswered(RealServerState destination) => Events.Add(("unanswered", destination));
    }
}
