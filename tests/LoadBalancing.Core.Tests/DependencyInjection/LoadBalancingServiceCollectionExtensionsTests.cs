using System.Collections.Immutable;
using LoadBalancing.Runtime;
using LoadBalancing.Scheduling;
using LoadBalancing.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace LoadBalancing.Tests.DependencyInjection;

public sealed class LoadBalancingServiceCollectionExtensionsTests
{
    [Fact]
    public void AddLoadBalancing_RegistersTableAndBuiltInSchedulers()
    {
        using var provider = new ServiceCollection().AddLoadBalancing().Services.BuildServiceProvider();

        var registry = provider.GetRequiredService<SchedulerRegistry>();
        Assert.Contains(SchedulerNames.RoundRobin, registry.Names);
        Assert.NotNull(provider.GetRequiredService<ServiceTable>());
        Assert.Same(TimeProvider.System, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void AddScheduler_CustomName_IsResolvable()
    {
        using var provider = new ServiceCollection()
            .AddLoadBalancing()
            .AddScheduler("first", _ => new FirstScheduler())
            .Services.BuildServiceProvider();

        var registry = provider.GetRequiredService<SchedulerRegistry>();

        Assert.True(registry.TryGetFactory("first", out var factory));
        Assert.Equal("first", factory.Name);
    }

    [Fact]
    public void AddScheduler_BuiltInName_ReplacesBuiltIn()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ISchedulerFactory>(new NamedFactory(SchedulerNames.RoundRobin));
        using var provider = services.AddLoadBalancing().Services.BuildServiceProvider();

        Assert.True(provider.GetRequiredService<SchedulerRegistry>().TryGetFactory(SchedulerNames.RoundRobin, out var factory));
        Assert.IsType<NamedFactory>(factory);
    }

    [Fact]
    public void AddLoadBalancing_TimeProviderAlreadyRegistered_IsKept()
    {
        var fake = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(fake);

        using var provider = services.AddLoadBalancing().Services.BuildServiceProvider();

        Assert.Same(fake, provider.GetRequiredService<TimeProvider>());
    }

    [Fact]
    public void CustomScheduler_UsedByServiceTable()
    {
        using var provider = new ServiceCollection()
            .AddLoadBalancing()
            .AddScheduler("first", _ => new FirstScheduler())
            .Services.BuildServiceProvider();
        var table = provider.GetRequiredService<ServiceTable>();
        var service = TestServices.Create("rr", ("10.0.0.1", 1), ("10.0.0.2", 1)).Config with { Scheduler = "first" };

        table.Apply(new LoadBalancing.Model.LoadBalancerConfig { Services = [service] });

        table.TryGetService(service.Key, out var running);
        Assert.Equal(["10.0.0.2", "10.0.0.2"], TestServices.Picks(running!, 2));
    }

    /// <summary>Always the head of the list: the smallest possible custom scheduler.</summary>
    private sealed class FirstScheduler : IScheduler
    {
        private ImmutableArray<RealServerState> _destinations = [];

        public void OnDestinationsChanged(ImmutableArray<RealServerState> destinations) => _destinations = destinations;

        public RealServerState? Pick(in SchedulingRequest request) => _destinations.IsEmpty ? null : _destinations[0];
    }

    private sealed class NamedFactory(string name) : ISchedulerFactory
    {
        public string Name { get; } = name;

        public IScheduler Create(SchedulerContext context) => new FirstScheduler();
    }
}
