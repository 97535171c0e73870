using LoadBalancing.Model;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using LoadBalancing.Tests.Fakes;

namespace LoadBalancing.Tests.Runtime;

public sealed class ServiceTableRuntimeServerTests
{
    private static readonly VirtualServiceKey Http = VirtualServiceKey.ForAddress(ServiceProtocol.Tcp, TestServices.Vip, 80);

    private static LoadBalancerConfig Config(params string[] servers)
        => new()
        {
            Services = [new VirtualServiceConfig { Key = Http, Scheduler = "rr", RealServers = [.. servers.Select(s => TestServices.Server(s, 1))] }],
        };

    [Fact]
    public void AddRuntimeServer_Listed_ConfigUnchanged_KeptAcrossApply_RemovedOnRequest()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        var config = Config("10.0.0.1");
        table.Apply(config);
        var changes = 0;
        table.Changed += (_, _) => changes++;

        var sorry = table.AddRuntimeServer(Http, TestServices.Server("10.0.0.99", 2));

        Assert.Equal(1, changes);
        Assert.True(table.TryGetService(Http, out var service));
        Assert.Equal(["10.0.0.99", "10.0.0.1"], TestServices.Order(service));
        Assert.Equal(2, sorry.Weight);
        Assert.True(table.IsRuntimeServer(sorry));
        Assert.Same(config, table.Config);
        Assert.Same(sorry, service.Schedule(default));

        // A reload that adds another server keeps the runtime one (same state object).
        table.Apply(Config("10.0.0.1", "10.0.0.2"));
        Assert.Same(sorry, TestServices.Dest(service, "10.0.0.99"));
        Assert.True(sorry.IsAvailable);

        Assert.True(table.RemoveRuntimeServer(Http, sorry.Address, sorry.Port));
        Assert.False(sorry.IsAvailable);
        Assert.Equal(["10.0.0.2", "10.0.0.1"], TestServices.Order(service));
        Assert.False(table.RemoveRuntimeServer(Http, sorry.Address, sorry.Port));
    }

    [Fact]
    public void AddRuntimeServer_ThenConfigured_ConfiguredWinsAndIsNotRemoved()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("10.0.0.1"));
        var sorry = table.AddRuntimeServer(Http, TestServices.Server("10.0.0.99", 5));

        table.Apply(Config("10.0.0.1", "10.0.0.99"));

        Assert.False(table.IsRuntimeServer(sorry));
        Assert.Equal(1, sorry.Weight);
        Assert.False(table.RemoveRuntimeServer(Http, sorry.Address, sorry.Port));
        Assert.True(sorry.IsAvailable);
    }

    [Fact]
    public void AddRuntimeServer_BadInput_Throws_NothingChanged()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("10.0.0.1"));
        table.TryGetService(Http, out var service);

        Assert.Throws<InvalidOperationException>(() => table.AddRuntimeServer(Http, TestServices.Server("10.0.0.1", 1)));
        Assert.Throws<InvalidOperationException>(() => table.AddRuntimeServer(VirtualServiceKey.ForAddress(ServiceProtocol.Udp, TestServices.Vip, 53), TestServices.Server("10.0.0.9", 1)));
        Assert.Throws<ConfigValidationException>(() => table.AddRuntimeServer(Http, new RealServerConfig { Address = NetworkAddress.Parse("fd00::9"), Port = 80, Method = ForwardingMethod.Masquerade }));

        Assert.Equal(["10.0.0.1"], TestServices.Order(service!));
    }

    [Fact]
    public void RemovedService_ForgetsItsRuntimeServers()
    {
        var table = new ServiceTable(SchedulerRegistry.Default);
        table.Apply(Config("10.0.0.1"));
        table.AddRuntimeServer(Http, TestServices.Server("10.0.0.99", 1));

        table.Apply(LoadBalancerConfig.Empty);
        table.Apply(Config("10.0.0.1"));

        Assert.True(table.TryGetService(Http, out var service));
        Assert.Equal(["10.0.0.1"], TestServices.Order(service));
    }
}
