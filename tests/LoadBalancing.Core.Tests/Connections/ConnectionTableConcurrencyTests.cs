using LoadBalancing.Connections;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

public sealed class ConnectionTableConcurrencyTests
{
    [Fact]
    public void ProcessInbound_ExistingEntry_AllocatesNothing()
    {
        var t = new TestConnections();
        var service = t.Service(servers: Server("10.0.0.1"));
        var ack = Tcp("203.0.113.1", 40000, TcpFlags.Ack);
        t.In(Tcp("203.0.113.1", 40000, TcpFlags.Syn), service);
        t.In(in ack, service);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            t.Table.ProcessInbound(in ack, service);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ProcessInbound_ConcurrentSynsForSameAndDistinctTuples_CountersMatchEntries()
    {
        var t = new TestConnections();
        var service = t.Service(servers: [Server("10.0.0.1"), Server("10.0.0.2")]);

        // Two workers send the same 500 SYNs: every tuple must end up with exactly one bound entry.
        Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, _ =>
        {
            for (var port = 0; port < 500; port++)
            {
                t.Table.ProcessInbound(Tcp("203.0.113.1", (ushort)(30000 + port), TcpFlags.Syn), service);
            }
        });

        Assert.Equal(500, t.Table.ConnectionCount);
        Assert.Equal(500, service.Destinations.Sum(d => d.ActiveConnections + d.InactiveConnections));
    }
}
