using System.Collections.Immutable;
using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using LoadBalancing.Tests.Fakes;

namespace LoadBalancing.Tests.Runtime;

public sealed class ServiceTableTests
{
    private static readonly VirtualServiceKey Http = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, TestServices.Vip, 80);

    private static LoadBalancerConfig Config(string scheduler, params (string Address, int Weight)[] servers)
        => new()
        {
            Services =
            [
                new VirtualServiceConfig
                {
                    Key = Http,
                    Scheduler = scheduler,
                    RealServers = [.. servers.Select(s => TestServices.Server(s.Address, s.Weight))],
                },
            ],
        };

    [Fact]
    public void Apply_ServersAddedABC_KernelOrderIsNewestFirst()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);

        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.3", 1)));

        Assert.True(table.TryGetService(Http, out var service));
        Assert.Equal(["10.0.0.3", "10.0.0.2", "10.0.0.1"], TestServices.Order(service));
        Assert.Equal([0, 1, 2], service.Destinations.Select(d => d.Position));
    }

    [Fact]
    public void Apply_ServerAddedLater_GoesToHeadAndOthersKeepState()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 1)));
        table.TryGetService(Http, out var service);
        var kept = TestServices.Dest(service!, "10.0.0.1");
        kept.SetCountersForTesting(active: 3, inactive: 7);

        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 1), ("10.0.0.4", 1)));

        table.TryGetService(Http, out var after);
        Assert.Same(service, after);
        Assert.Equal(["10.0.0.4", "10.0.0.2", "10.0.0.1"], TestServices.Order(after!));
        Assert.Same(kept, TestServices.Dest(after!, "10.0.0.1"));
        Assert.Equal(3, kept.ActiveConnections);
    }

    [Fact]
    public void Apply_ServerRemoved_BecomesUnavailable()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 1)));
        table.TryGetService(Http, out var service);
        var removed = TestServices.Dest(service!, "10.0.0.2");

        table.Apply(Config("rr", ("10.0.0.1", 1)));

        Assert.False(removed.IsAvailable);
        Assert.Equal(["10.0.0.1"], TestServices.Order(service!));
    }

    [Fact]
    public void Apply_InvalidConfig_ThrowsAndKeepsRunningConfig()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        var good = Config("rr", ("10.0.0.1", 1));
        table.Apply(good);

        var bad = Config("no-such-scheduler", ("10.0.0.1", 1), ("10.0.0.9", 70000));
        var ex = Assert.Throws<ConfigValidationException>(() => table.Apply(bad));

        Assert.Equal(2, ex.Errors.Count);
        Assert.Same(good, table.Config);
        Assert.True(table.TryGetService(Http, out var service));
        Assert.Equal("rr", service.Config.Scheduler);
        Assert.Equal(["10.0.0.1"], TestServices.Order(service));
    }

    [Fact]
    public void Apply_ServiceRemoved_LookupFailsAndServersUnavailable()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("rr", ("10.0.0.1", 1)));
        table.TryGetService(Http, out var service);

        table.Apply(LoadBalancerConfig.Empty);

        Assert.False(table.TryGetService(Http, out _));
        Assert.All(service!.Destinations, d => Assert.False(d.IsAvailable));
        Assert.Empty(table.Services);
    }

    [Fact]
    public void SetWeight_Zero_QuiescesUntilConfigChangesWeight()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 1)));
        table.TryGetService(Http, out var service);
        var drained = TestServices.Dest(service!, "10.0.0.2");

        table.SetWeight(drained, 0);
        Assert.Equal(["10.0.0.1", "10.0.0.1", "10.0.0.1"], TestServices.Picks(service!, 3));
        Assert.Equal(1, drained.LastWeight);

        // Re-applying an unchanged configuration keeps the runtime weight ...
        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 1)));
        Assert.Equal(0, drained.Weight);

        // ... a configuration that changes the server's weight sets it.
        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 3)));
        Assert.Equal(3, drained.Weight);
    }

    [Fact]
    public void Apply_SchedulerChanged_NewSchedulerSeesAllDestinations()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("wlc", ("10.0.0.1", 1), ("10.0.0.2", 1)));
        table.TryGetService(Http, out var service);
        var wlc = service!.Scheduler;

        table.Apply(Config("rr", ("10.0.0.1", 1), ("10.0.0.2", 1)));

        Assert.NotSame(wlc, service.Scheduler);
        Assert.Equal(["10.0.0.2", "10.0.0.1", "10.0.0.2"], TestServices.Picks(service, 3));
    }

    [Fact]
    public void Changed_RaisedAfterApply()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        var raised = 0;
        table.Changed += (_, _) => raised++;

        table.Apply(Config("rr", ("10.0.0.1", 1)));

        Assert.Equal(1, raised);
    }

    [Fact]
    public void OverloadFlag_SetAtUpperThresholdAndClearedBelowThreeQuarters()
    {
        var service = TestServices.Create("rr", ("10.0.0.1", 1));
        var table = new ServiceTable(SchedulerRegistry.Default);
        var config = new LoadBalancerConfig
        {
            Services = [service.Config with { RealServers = [service.Config.RealServers[0] with { UpperThreshold = 4 }] }],
        };
        table.Apply(config);
        table.TryGetService(service.Key, out var running);
        var dest = running!.Destinations[0];

        for (var i = 0; i < 4; i++)
        {
            dest.Bind(ConnectionCountKind.Active);
        }

        Assert.True(dest.IsOverloaded);
        dest.Unbind(ConnectionCountKind.Active); // 3 * 4 = 12 is not < 4 * 3 = 12
        Assert.True(dest.IsOverloaded);
        dest.Unbind(ConnectionCountKind.Active); // 2 * 4 = 8 < 12
        Assert.False(dest.IsOverloaded);
        Assert.Equal(ImmutableArray.Create("10.0.0.1"), TestServices.Order(running));
    }
}
