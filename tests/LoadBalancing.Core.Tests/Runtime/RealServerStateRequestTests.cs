using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using LoadBalancing.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace LoadBalancing.Tests.Runtime;

public sealed class RealServerStateRequestTests
{
    [Fact]
    public void AcquireActive_OnLeastConnection_NextPickGoesToLessLoadedServer()
    {
        var service = TestServices.Create("lc", ("10.0.0.1", 1), ("10.0.0.2", 1));
        var first = service.Schedule(TestServices.Request())!;

        first.AcquireActive();
        var second = service.Schedule(TestServices.Request())!;
        first.ReleaseActive();
        var third = service.Schedule(TestServices.Request())!;

        Assert.NotSame(first, second);
        Assert.Same(first, third);
        Assert.Equal(0, first.ActiveConnections);
    }

    [Fact]
    public void AcquireActive_UpToUpperThreshold_SetsOverloadAndReleaseClearsIt()
    {
        var config = new VirtualServiceConfig
        {
            Key = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, TestServices.Vip, 80),
            Scheduler = SchedulerNames.RoundRobin,
            RealServers = [TestServices.Server("10.0.0.1", 1) with { UpperThreshold = 2 }],
        };
        var service = VirtualServiceState.CreateDetached(config, SchedulerRegistry.Default, new FakeTimeProvider());
        var server = service.Destinations.Single();

        server.AcquireActive();
        server.AcquireActive();

        Assert.True(server.IsOverloaded);
        Assert.Null(service.Schedule(TestServices.Request()));

        // Without a lower threshold OVERLOAD clears below three quarters of the upper one: 1 * 4 < 2 * 3.
        server.ReleaseActive();

        Assert.False(server.IsOverloaded);
        Assert.Same(server, service.Schedule(TestServices.Request()));
        Assert.Equal(ImmutableArray.Create(1), [.. service.Destinations.Select(d => d.ActiveConnections)]);
    }
}
