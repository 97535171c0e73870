using LoadBalancing.Connections;
using LoadBalancing.Model;
using LoadBalancing.Tests.Fakes;
using static LoadBalancing.Tests.Fakes.TestConnections;

namespace LoadBalancing.Tests.Connections;

public sealed class ConnectionTableOverloadTests
{
    [Fact]
    public void Overload_UpperThresholdOnly_ClearedBelowThreeQuarters()
    {
        var t = new TestConnections();
        var service = t.Service(ServiceProtocol.Udp, 53, servers: Server("10.0.0.1", port: 53, upper: 4));
        var dest = Dest(service, "10.0.0.1");

        // Four clients one second apart: the entries expire at 300, 301, 302, 303 s.
        for (var i = 1; i <= 4; i++)
        {
            t.In(Udp($"203.0.113.{i}", 5000), service);
            Assert.Equal(i == 4, dest.IsOverloaded); // bound: act+inact >= u
            t.Elapse(1);
        }

        Assert.Equal(ConnectionVerdict.NoDestination, t.In(Udp("203.0.113.5", 5000), service).Verdict);

        t.Elapse(296); // t = 300: 3 left, 3*4 < 4*3 is false
        Assert.Equal(3, dest.InactiveConnections);
        Assert.True(dest.IsOverloaded);
        t.Elapse(1); // 2 left: 8 < 12
        Assert.False(dest.IsOverloaded);
    }

    [Fact]
    public void Overload_LowerThreshold_ClearedOnlyBelowIt()
    {
        var t = new TestConnections();
        var service = t.Service(ServiceProtocol.Udp, 53, servers: Server("10.0.0.1", port: 53, upper: 2, lower: 1));
        var dest = Dest(service, "10.0.0.1");
        t.In(Udp("203.0.113.1", 5000), service);
        t.Elapse(1);
        t.In(Udp("203.0.113.2", 5000), service);
        Assert.True(dest.IsOverloaded);

        t.Elapse(299); // first entry gone: 1 < 1 is false
        Assert.True(dest.IsOverloaded);
        t.Elapse(1);
        Assert.False(dest.IsOverloaded);
    }
}
